import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Who may import whom, as docs/architecture.md draws it, type imports included: a type-only
 * circle still ties modules together for a reader and for the workflow bundle.
 */
const SRC = path.resolve(__dirname, '../../src');

/** Each folder and the folders it may import (itself always). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  domain: [],
  schemas: ['domain'],
  import: ['domain', 'schemas'],
  workflows: ['domain', 'activities'],
  activities: ['domain', 'schemas', 'runtime', 'workflows'],
  runtime: ['domain', 'activities', 'workflows'],
  service: ['domain', 'schemas', 'runtime', 'activities', 'workflows'],
  api: ['domain', 'schemas', 'runtime', 'workflows', 'service'],
  cli: [
    'domain',
    'schemas',
    'runtime',
    'activities',
    'workflows',
    'import',
    'service',
    'api',
    'devtools',
  ],
  // Development and test aids (the local GitHub server): only the CLI, tests and benches use them.
  devtools: ['domain', 'schemas'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:import|export)[^;]*?from '(\.[^']*)'/gs)) {
    const target = path.resolve(path.dirname(file), match[1] ?? '');
    const resolved = [`${target}.ts`, path.join(target, 'index.ts')].find(existsSync);
    if (resolved) found.push(resolved);
  }
  return found;
}

const folderOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0] ?? '';
const shown = (file: string): string => path.relative(SRC, file);

describe('the layout of src/', () => {
  const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));

  it('has the folders the rules name, and every import keeps to them', () => {
    const folders = [...new Set([...graph.keys()].map(folderOf))].filter(
      (folder) => !folder.endsWith('.ts'),
    );
    expect(folders.sort()).toEqual(Object.keys(MAY_IMPORT).sort());
    const broken: string[] = [];
    for (const [file, imports] of graph) {
      const from = folderOf(file);
      for (const target of imports) {
        const to = folderOf(target);
        if (to !== from && !MAY_IMPORT[from]?.includes(to)) {
          broken.push(`${shown(file)} imports ${shown(target)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('has no import circle between modules', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const trail: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      trail.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') {
          circles.push([...trail.slice(trail.indexOf(next)), next].map(shown).join(' → '));
        } else if (!state.has(next)) {
          visit(next);
        }
      }
      trail.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });

  it('registers only workflows: every export of src/workflows/index.ts is a workflow function', async () => {
    const workflows = (await import('../../src/workflows')) as Record<string, unknown>;
    const names = Object.keys(workflows);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !name.endsWith('Workflow'))).toEqual([]);
    expect(names.filter((name) => typeof workflows[name] !== 'function')).toEqual([]);
  });
});
