import type { PackageTask, Priority } from '../domain/spec';

/** Something about the document, at a 1-based line. */
export interface ImportNote {
  line: number;
  message: string;
}

export type PlanKind = 'work-packages' | 'sprint-pods';

/** A dependency as the document states it, with where. */
export interface StatedDependency {
  id: string;
  line: number;
}

/** One package as read from the document, before it becomes a sprint file entry. */
export interface ImportedPackage {
  id: string;
  title: string;
  line: number;
  priority?: Priority;
  mvp?: boolean;
  dependsOn: StatedDependency[];
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

  problem(line: number, message: string): void {
    this.problems.push({ line, message });
  }

  warning(line: number, message: string): void {
    this.warnings.push({ line, message });
  }
}
