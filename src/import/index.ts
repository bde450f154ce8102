import { stringify } from 'yaml';
import { checkSprintSpec } from '../schemas/sprint-spec';
import { checkDocument } from './checks';
import { parseMarkdown } from './markdown';
import type { MdDocument } from './markdown';
import { readPackage, splitPackages } from './packages';
import type { PackageStyle } from './packages';
import { sprintPodStyle } from './sprint-pods';
import { slugify, stripEmoji } from './text';
import { Notes } from './types';
import type { ImportedPackage, ImportNote, PlanKind } from './types';
import { workPackagesTitle, workPackageStyle } from './work-packages';

export type { ImportNote, PlanKind } from './types';

export interface ImportOptions {
  /** The sprint id; default: the document's title, slugified. */
  id?: string;
  /** The repository the sprint runs in, as written into the file; default `.`. */
  repo?: string;
  /** A shell command every package runs; default: each package is external (reported over the API). */
  run?: string;
  /** Where the id comes from when there is neither `id` nor a title (a file name, say). */
  fallbackId?: string;
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
  if (!kind) {
    return {
      problems: [
        {
          line: 1,
          message:
            'found no packages: expected headings like “## Work Package WP01: Title” or “### Pod-1: Title”',
        },
      ],
      warnings: [],
    };
  }
  const style = STYLES[kind];
  const notes = new Notes();
  const { packages: parts, others } = splitPackages(doc, style);
  const packages = withoutDuplicates(
    parts.map((part) => readPackage(part, style, notes)),
    notes,
  );
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
      if (dep.id === pkg.id) notes.problem(dep.line, `${pkg.id} depends on itself; left out`);
      else if (!ids.has(dep.id)) {
        notes.problem(
          dep.line,
          `${pkg.id} depends on ${dep.id}, which is not a package here; left out`,
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
  for (const pkg of without) notes.warning(pkg.line, `${pkg.id} has no priority: it is P1`);
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
    ...(pkg.description ? { description: pkg.description } : {}),
    ...(pkg.test ? { test: pkg.test } : {}),
    ...(pkg.tasks.length ? { tasks: pkg.tasks } : {}),
  };
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
    const index = /^packages\[(\d+)\]/.exec(problem.path)?.[1];
    const pkg = index === undefined ? undefined : packages[Number(index)];
    notes.problem(pkg?.line ?? 1, `${problem.path}: ${problem.message}`);
  }
  return undefined;
}

function byLine(notes: ImportNote[]): ImportNote[] {
  return [...notes].sort((a, b) => a.line - b.line);
}
