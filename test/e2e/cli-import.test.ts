import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../support/cli';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'import');
const FEATURE = path.resolve(__dirname, '..', 'fixtures', 'import-spec-kitty', 'feature');

describe('sprintwave import, then plan (the built CLI)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-import-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a sprint file from work-packages.md that plan accepts, reporting disagreements with lines', async () => {
    const out = path.join(dir, 'sprint.yaml');
    const imported = await runCli(['import', path.join(FIXTURES, 'work-packages.md'), '-o', out]);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain(
      'work-packages.md:243: problem: the Execution Order says WP06 depends on all',
    );
    expect(imported.stderr).toContain('work-packages.md:240: warning:');
    const sprint = parse(await readFile(out, 'utf8'));
    expect(sprint).toMatchObject({ id: 'identity-aware-cli-event-sync', repo: '.' });

    const planned = await runCli(['plan', out, '--json']);
    expect(planned.code).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({
      id: 'identity-aware-cli-event-sync',
      waves: [['WP01', 'WP03'], ['WP02'], ['WP04'], ['WP05'], ['WP06']],
      packages: 6,
      points: 24,
    });
  });

  it('prints the sprint to stdout without -o, with --id, --repo and --run', async () => {
    const result = await runCli([
      'import',
      path.join(FIXTURES, 'sprint-pods.md'),
      '--id',
      'pods',
      '--repo',
      '../repo',
      '--run',
      'make pod',
    ]);
    expect(result.code).toBe(0);
    const sprint = parse(result.stdout);
    expect(sprint).toMatchObject({ id: 'pods', repo: '../repo' });
    expect(sprint.packages.map((wp: { id: string; run: string }) => [wp.id, wp.run])).toEqual([
      ['Pod-1', 'make pod'],
      ['Pod-2', 'make pod'],
      ['Pod-3', 'make pod'],
    ]);
  });

  it('exits 2 with the lines it could not use when nothing usable is in the document', async () => {
    const noPackages = await runCli(['import', path.join(FIXTURES, 'no-packages.md')]);
    expect(noPackages.code).toBe(2);
    expect(noPackages.stdout).toBe('');
    expect(noPackages.stderr).toContain('no-packages.md:1: problem: found no packages');

    const cycle = await runCli([
      'import',
      path.join(FIXTURES, 'cycle.md'),
      '-o',
      path.join(dir, 'c.yaml'),
    ]);
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toMatch(/cycle\.md:6: problem: .*WP01 → WP02 → WP01/);
  });

  it('imports a spec-kitty feature folder, its prompt files’ dependencies winning, and says so in --help', async () => {
    const result = await runCli(['import', FEATURE]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `${path.join(FEATURE, 'tasks.md')}:24: warning: WP03: the plan says it depends on WP01, WP02`,
    );
    const sprint = parse(result.stdout);
    expect(
      sprint.packages.map((wp: { id: string; dependsOn?: string[] }) => [wp.id, wp.dependsOn]),
    ).toEqual([
      ['WP01', undefined],
      ['WP02', ['WP01']],
      ['WP03', ['WP01']],
    ]);
    const help = await runCli(['import', '--help']);
    expect(help.stdout).toMatch(/spec-kitty feature\s+folder/);
  }, 30_000);

  it('does not overwrite a file without --force', async () => {
    const out = path.join(dir, 'kept.yaml');
    await writeFile(out, 'keep me\n');
    const refused = await runCli(['import', path.join(FIXTURES, 'variations.md'), '-o', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --force');
    expect(await readFile(out, 'utf8')).toBe('keep me\n');
    const forced = await runCli([
      'import',
      path.join(FIXTURES, 'variations.md'),
      '-o',
      out,
      '--force',
    ]);
    expect(forced.code).toBe(0);
    expect(parse(await readFile(out, 'utf8'))).toMatchObject({ id: 'checkout-flow' });
  });
});
