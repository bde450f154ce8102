import { stringify } from 'yaml';
import { checkSprintSpec } from '../schemas/sprint-spec';
import { checkDocument } from './checks';
import { parseMarkdown } from './markdown';
import type { MdDocument } from './markdown';
import { readPackage, splitPackages } from './packages';
import type { PackageStyle } from './packages';
import type { PromptFile } from './prompt-files';
import { applyPrompts } from './prompts';
import { sprintPodStyle } from './sprint-pods';
import { slugify, stripEmoji } from './text';
import { Notes } from './types';
import type { ImportedPackage, ImportNote, PlanKind } from './types';
import { workPackagesTitle, workPackageStyle } from './work-packages';

export type { ImportNote, PlanKind } from './types';
export type { PromptFile } from './prompt-files';

export interface ImportOptions {
  /** The sprint id; default: the document's title, slugified. */
  id?: string;
  /** The repository the sprint runs in, as written into the file; default `.`. */
  repo?: string;
  /** A shell command every package runs; default: each package is external (reported over the API). */
  run?: string;
  /** Where the id comes from when there is neither `id` nor a title (a file name, say). */
  fallbackId?: string;
  /** The packages' prompt files (a spec-kitty feature folder's `tasks/WP*.md`), already read. */
  prompts?: readonly PromptFile[];
}

export interface ImportResult {
  kind?: PlanKind;
  /** A sprint file that `plan` accepts; undefined when nothing usable was found. */
  sprint?: Record<string, unknown>;
  /** What could not be read, or disagrees with the rest of the document; sorted by line. */
  problems: ImportNote[];
  /** Defaults and guesses worth knowing; sorted by line. */
  warnings: ImportNote[];
}

const STYLES: Record<PlanKind, PackageStyle> = {
  'work-packages': workPackageStyle,
  'sprint-pods': sprintPodStyle,
};

/** Turns a work-packages or sprint-pods document into a sprint file's content. Never throws. */
export function importMarkdown(text: string, options: ImportOptions = {}): ImportResult {
  const doc = parseMarkdown(text);
  const kind = detectKind(doc);
  if (!kind) return { problems: noPackages(doc), warnings: [] };
  const style = STYLES[kind];
  const notes = new Notes();
  const { packages: parts, others } = splitPackages(doc, style);
  let packages = withoutDuplicates(
    parts.map((part) => readPackage(part, style, notes)),
    notes,
  );
  resolveDependsOnAll(packages);
  if (options.prompts?.length) packages = applyPrompts(packages, options.prompts, notes);
  keepKnownDependencies(packages, notes);
  checkDocument(others, doc.preamble, packages, style, notes);
  warnOfMissingPriorities(packages, notes);
  const title = documentTitle(doc, kind);
  const id = options.id ?? (slugify(title ?? '') || slugify(options.fallbackId ?? '') || undefined);
  const result: ImportResult = { kind, problems: notes.problems, warnings: notes.warnings };
  if (!id) notes.problem(1, 'the document has no title to make a sprint id of: give one with --id');
  else result.sprint = usableSprint(buildSprint(id, title, packages, options), packages, notes);
  result.problems = byLine(notes.problems);
  result.warnings = byLine(notes.warnings);
  if (!result.sprint) delete result.sprint;
  return result;
}

const SKIPPED_SHOWN = 10;

/** “Found no packages”, pointing at the headings that could have been packages. */
function noPackages(doc: MdDocument): ImportNote[] {
  const headings = doc.all.map((section) => section.heading).filter((h) => h.level > 1);
  const likely = headings.filter((h) => /\b(?:package|wp|pod)\b|\b[A-Z]+[-_]?\d+\b/i.test(h.text));
  const skipped = (likely.length ? likely : headings).slice(0, SKIPPED_SHOWN);
  return [
    {
      line: 1,
      message:
        'found no packages: expected headings like “## Work Package WP01: Title” or “### Pod-1: Title”',
    },
    ...skipped.map((h) => ({
      line: h.line,
      message: `“${'#'.repeat(h.level)} ${h.text}” is not a package heading: skipped`,
    })),
  ];
}

/** `Depends on all previous WPs` becomes the packages before it (or all the others). */
function resolveDependsOnAll(packages: ImportedPackage[]): void {
  packages.forEach((pkg, index) => {
    if (!pkg.dependsOnAll) return;
    const { scope, line } = pkg.dependsOnAll;
    const others = scope === 'previous' ? packages.slice(0, index) : packages;
    const named = new Set(pkg.dependsOn.map((dep) => dep.id));
    for (const other of others) {
      if (other.id !== pkg.id && !named.has(other.id)) pkg.dependsOn.push({ id: other.id, line });
    }
  });
}

/** The sprint as YAML, with a comment on top. */
export function sprintYaml(sprint: Record<string, unknown>, comment?: string): string {
  const body = stringify(sprint, { lineWidth: 0 });
  if (!comment) return body;
  return `${comment
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n')}\n${body}`;
}

function detectKind(doc: MdDocument): PlanKind | undefined {
  const count = (style: PackageStyle): number =>
    doc.all.filter((section) => style.heading(section.heading.text)).length;
  const wps = count(workPackageStyle);
  const pods = count(sprintPodStyle);
  if (wps === 0 && pods === 0) return undefined;
  return wps >= pods ? 'work-packages' : 'sprint-pods';
}

function documentTitle(doc: MdDocument, kind: PlanKind): string | undefined {
  const heading = doc.all.find((section) => section.heading.level === 1) ?? doc.all[0];
  if (!heading || STYLES[kind].heading(heading.heading.text)) return undefined;
  const text = stripEmoji(heading.heading.text);
  return (kind === 'work-packages' ? workPackagesTitle(text) : text) || undefined;
}

function withoutDuplicates(packages: ImportedPackage[], notes: Notes): ImportedPackage[] {
  const first = new Map<string, ImportedPackage>();
  for (const pkg of packages) {
    const earlier = first.get(pkg.id);
    if (earlier) {
      notes.problem(
        pkg.line,
        `${pkg.id} is already the package at line ${earlier.line}; this one is left out`,
      );
    } else first.set(pkg.id, pkg);
  }
  return [...first.values()];
}

/** A dependency on a package the document does not have (or on itself) is reported and dropped. */
function keepKnownDependencies(packages: ImportedPackage[], notes: Notes): void {
  const ids = new Set(packages.map((pkg) => pkg.id));
  for (const pkg of packages) {
    const kept = new Map<string, (typeof pkg.dependsOn)[number]>();
    for (const dep of pkg.dependsOn) {
      if (dep.id === pkg.id)
        notes.problem(dep.line, `${pkg.id} depends on itself; left out`, dep.file);
      else if (!ids.has(dep.id)) {
        notes.problem(
          dep.line,
          `${pkg.id} depends on ${dep.id}, which is not a package here; left out`,
          dep.file,
        );
      } else if (!kept.has(dep.id)) kept.set(dep.id, dep);
    }
    pkg.dependsOn = [...kept.values()];
  }
}

function warnOfMissingPriorities(packages: ImportedPackage[], notes: Notes): void {
  const without = packages.filter((pkg) => !pkg.priority);
  if (!without.length) return;
  if (without.length === packages.length) {
    notes.warning(packages[0]?.line ?? 1, 'no package has a priority: all are P1');
    return;
  }
  for (const pkg of without) {
    notes.warning(pkg.line, `${pkg.id} has no priority: it is P1`, pkg.file);
  }
}

function buildSprint(
  id: string,
  title: string | undefined,
  packages: ImportedPackage[],
  options: ImportOptions,
): Record<string, unknown> {
  return {
    id,
    ...(title ? { title } : {}),
    repo: options.repo ?? '.',
    packages: packages.map((pkg) => packageEntry(pkg, options.run)),
  };
}

function packageEntry(pkg: ImportedPackage, run: string | undefined): Record<string, unknown> {
  return {
    id: pkg.id,
    title: pkg.title,
    ...(pkg.priority ? { priority: pkg.priority } : {}),
    ...(pkg.mvp ? { mvp: true } : {}),
    ...(pkg.points !== undefined ? { points: pkg.points } : {}),
    ...(pkg.estimate ? { estimate: pkg.estimate } : {}),
    ...(pkg.dependsOn.length ? { dependsOn: pkg.dependsOn.map((dep) => dep.id) } : {}),
    ...(run ? { run } : { external: true }),
    ...(pkg.description || pkg.promptFile
      ? { description: joinLines(pkg.description, pkg.promptFile && `Prompt: ${pkg.promptFile}`) }
      : {}),
    ...(pkg.test ? { test: pkg.test } : {}),
    ...(pkg.tasks.length ? { tasks: pkg.tasks } : {}),
  };
}

function joinLines(...parts: Array<string | undefined>): string {
  return parts.filter(Boolean).join('\n');
}

/** The sprint, when the sprint file check accepts it; its problems otherwise, at their packages' lines. */
function usableSprint(
  sprint: Record<string, unknown>,
  packages: ImportedPackage[],
  notes: Notes,
): Record<string, unknown> | undefined {
  const checked = checkSprintSpec(sprint);
  if (checked.ok) return sprint;
  for (const problem of checked.problems) {
    const at = /^packages\[(\d+)\](\.dependsOn)?/.exec(problem.path);
    const pkg = at ? packages[Number(at[1])] : undefined;
    const where =
      at?.[2] && pkg
        ? dependenciesAt(pkg, problem.message)
        : { line: pkg?.line ?? 1, file: pkg?.file };
    notes.problem(where.line, `${problem.path}: ${problem.message}`, where.file);
  }
  return undefined;
}

/** Where the dependency a message names is written: a line of the plan, or a prompt file. */
function dependenciesAt(pkg: ImportedPackage, message: string): { line: number; file?: string } {
  const named = pkg.dependsOn.find((dep) => new RegExp(`\\b${dep.id}\\b`).test(message));
  const dep = named ?? pkg.dependsOn[0];
  if (dep) return { line: dep.line, file: dep.file ?? pkg.file };
  return { line: pkg.dependenciesLine ?? pkg.line, file: pkg.file };
}

/** The plan's notes by line, then those of other files, each by line. */
function byLine(notes: ImportNote[]): ImportNote[] {
  return [...notes].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || a.line - b.line);
}
