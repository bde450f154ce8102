import type { PackageTask, Priority } from '../domain/spec';

/** Something about the document, at a 1-based line; `file` names another file than the plan. */
export interface ImportNote {
  line: number;
  message: string;
  file?: string;
}

export type PlanKind = 'work-packages' | 'sprint-pods';

/** A dependency as the document states it, with where. */
export interface StatedDependency {
  id: string;
  line: number;
  /** The file that states it, when not the plan itself (a prompt file). */
  file?: string;
}

/** One package as read from the document, before it becomes a sprint file entry. */
export interface ImportedPackage {
  id: string;
  title: string;
  line: number;
  /** The file the package comes from when not the plan (a prompt file without a section). */
  file?: string;
  /** The package's prompt file, from the plan's folder. */
  promptFile?: string;
  priority?: Priority;
  mvp?: boolean;
  dependsOn: StatedDependency[];
  /** `Depends on all previous WPs`: every package before it, or every other one. */
  dependsOnAll?: { scope: 'previous' | 'others'; line: number };
  /** Where the package's dependencies are written (its Dependencies section). */
  dependenciesLine?: number;
  tasks: PackageTask[];
  points?: number;
  estimate?: string;
  description?: string;
  test?: string;
}

/** What an importer read: the packages, and what it could not read or found at odds. */
export interface ImportedPlan {
  kind: PlanKind;
  title?: string;
  packages: ImportedPackage[];
  /** Could not be read, or contradicts something else in the document. */
  problems: ImportNote[];
  /** Read, with a default or a guess worth knowing about. */
  warnings: ImportNote[];
}

/** Collects notes for one document. */
export class Notes {
  readonly problems: ImportNote[] = [];
  readonly warnings: ImportNote[] = [];
  private readonly given = new Set<string>();

  problem(line: number, message: string, file?: string): void {
    this.problems.push(file ? { line, message, file } : { line, message });
  }

  warning(line: number, message: string, file?: string): void {
    this.warnings.push(file ? { line, message, file } : { line, message });
  }

  /** A warning given once per document however often its cause occurs. */
  warnOnce(key: string, line: number, message: string): void {
    if (this.given.has(key)) return;
    this.given.add(key);
    this.warning(line, message);
  }
}

/** How one style of plan names its packages. */
export interface PackageStyle {
  /** The package id and the rest of a heading, when it is a package heading. */
  heading(text: string): { id: string; rest: string } | undefined;
  /** Every package id written in a text, in the style's canonical form. */
  idsIn(text: string): string[];
  /** Title and details from the rest of a heading (after the id). */
  title(rest: string): { title: string; description?: string };
}
