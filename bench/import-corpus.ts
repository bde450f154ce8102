/**
 * Imports every spec-kitty feature folder under a directory and compares the imported
 * dependencies with the `dependencies:` frontmatter of the folder's prompt files.
 *
 *   npm run import-corpus -- [corpus-dir] [--each]
 *
 * Prints, for tasks.md alone and for the whole folder: documents rejected, crashes, false
 * dependency loops, problem and warning lines, and in how many features whose frontmatter lists
 * dependencies the imported ones equal it exactly. `--each` adds a line per folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { importMarkdown } from '../src/import';
import type { ImportResult } from '../src/import';
import { importFolder } from '../src/import/folder';

const DEFAULT_CORPUS = path.resolve(__dirname, '..', '..', 'shared', 'corpus', 'spec-kitty');

type Truth = Map<string, string[]>;

interface Tally {
  documents: number;
  rejected: number;
  crashes: number;
  falseLoops: number;
  problems: number;
  warnings: number;
  withProblems: number;
  compared: number;
  exact: number;
}

interface Outcome {
  result?: ImportResult;
  crash?: string;
}

function emptyTally(): Tally {
  return {
    documents: 0,
    rejected: 0,
    crashes: 0,
    falseLoops: 0,
    problems: 0,
    warnings: 0,
    withProblems: 0,
    compared: 0,
    exact: 0,
  };
}

/** `work_package_id` → `dependencies` of each prompt file under `tasks/`. */
function frontmatterTruth(folder: string): Truth {
  const truth: Truth = new Map();
  for (const file of promptFiles(path.join(folder, 'tasks'))) {
    const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(file, 'utf8'));
    if (!match) continue;
    let data: unknown;
    try {
      data = parse(match[1] ?? '');
    } catch {
      continue;
    }
    if (!data || typeof data !== 'object') continue;
    const { work_package_id: id, dependencies } = data as Record<string, unknown>;
    if (typeof id !== 'string') continue;
    truth.set(id, Array.isArray(dependencies) ? dependencies.map(String) : []);
  }
  return truth;
}

function promptFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /^WP.*\.md$/i.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function hasDependencies(truth: Truth): boolean {
  return [...truth.values()].some((deps) => deps.length > 0);
}

/** Every package of the frontmatter is imported with exactly its dependencies. */
function matches(sprint: Record<string, unknown>, truth: Truth): boolean {
  const packages = sprint.packages as Array<{ id: string; dependsOn?: string[] }>;
  const imported = new Map(packages.map((pkg) => [pkg.id, pkg.dependsOn ?? []]));
  for (const [id, deps] of truth) {
    const got = imported.get(id);
    if (!got) return false;
    if ([...got].sort().join() !== [...deps].sort().join()) return false;
  }
  return true;
}

function count(tally: Tally, outcome: Outcome, truth: Truth): string {
  tally.documents += 1;
  if (outcome.crash !== undefined) {
    if (hasDependencies(truth)) tally.compared += 1;
    tally.crashes += 1;
    return `crash: ${outcome.crash}`;
  }
  const result = outcome.result as ImportResult;
  if (hasDependencies(truth)) tally.compared += 1;
  tally.problems += result.problems.length;
  tally.warnings += result.warnings.length;
  if (result.problems.length) tally.withProblems += 1;
  if (result.problems.some((note) => /dependency loop/.test(note.message))) tally.falseLoops += 1;
  if (!result.sprint) {
    tally.rejected += 1;
    return `rejected (${result.problems[0]?.message ?? 'no problem given'})`;
  }
  if (!hasDependencies(truth)) return `${result.warnings.length} warnings`;
  const exact = matches(result.sprint, truth);
  if (exact) tally.exact += 1;
  return `${exact ? 'exact' : 'DIFFERENT'}, ${result.warnings.length} warnings`;
}

async function attempt(run: () => ImportResult | Promise<ImportResult>): Promise<Outcome> {
  try {
    return { result: await run() };
  } catch (error) {
    return { crash: error instanceof Error ? error.message : String(error) };
  }
}

function report(name: string, tally: Tally): void {
  const share = tally.compared ? ((100 * tally.exact) / tally.compared).toFixed(1) : '-';
  console.log(`${name}:`);
  console.log(
    `  documents ${tally.documents}, rejected ${tally.rejected}, crashes ${tally.crashes}`,
  );
  console.log(`  documents with a dependency loop reported: ${tally.falseLoops}`);
  console.log(
    `  problem lines ${tally.problems} (in ${tally.withProblems} documents), warning lines ${tally.warnings}`,
  );
  console.log(
    `  dependencies equal to the frontmatter: ${tally.exact} of ${tally.compared} features (${share}%)`,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const each = args.includes('--each');
  const corpus = path.resolve(args.find((arg) => !arg.startsWith('--')) ?? DEFAULT_CORPUS);
  const folders = readdirSync(corpus, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(corpus, entry.name, 'tasks.md')))
    .map((entry) => entry.name)
    .sort();
  const alone = emptyTally();
  const whole = emptyTally();
  for (const name of folders) {
    const folder = path.join(corpus, name);
    const truth = frontmatterTruth(folder);
    const text = readFileSync(path.join(folder, 'tasks.md'), 'utf8');
    const first = count(
      alone,
      await attempt(() => importMarkdown(text, { fallbackId: name })),
      truth,
    );
    const second = count(whole, await attempt(() => importFolder(folder)), truth);
    if (each) console.log(`${name}: tasks.md ${first}; folder ${second}`);
  }
  console.log(`${corpus}: ${folders.length} feature folders`);
  report('tasks.md alone (sprintwave import tasks.md)', alone);
  report('the whole folder (sprintwave import <folder>)', whole);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
