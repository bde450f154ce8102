/**
 * The merge rehearsal's bookkeeping: which completed packages were rehearsed at which branch
 * head, and what is left to rehearse when more complete or one is redone. Git does the merging
 * (the `rehearseMerge` activity); this decides what it is asked.
 */

/** Two packages whose branches would not merge cleanly, found before the final merge. */
export interface PredictedConflict {
  /** The package whose branch would not merge. */
  wpId: string;
  /** The packages merged before it that changed the same files. */
  with: string[];
  files: string[];
}

/** One package of the rehearsal, in merge order. */
export interface RehearsedPackage {
  wpId: string;
  /** The commit its branch was rehearsed at (its completion's commit). */
  head: string;
  /** The rehearsal's commit after it: what later packages are merged onto. */
  tip: string;
  conflict?: PredictedConflict;
}

/** What the next rehearsal does: keeps the packages still true, merges the rest from `from`. */
export interface RehearsalWork {
  kept: RehearsedPackage[];
  /** The tip to go on from; the base when absent. */
  from?: string;
  /** The completed packages after the kept ones, in merge order. */
  packages: string[];
}

/**
 * Compares what was rehearsed with the packages completed now (in merge order, with their
 * commits): the longest run that is unchanged — same packages, same commits, same order — is
 * kept. When packages complete in merge order that is all but the new one.
 */
export function rehearsalWork(
  rehearsed: readonly RehearsedPackage[],
  completed: readonly { wpId: string; head: string }[],
): RehearsalWork {
  let keep = 0;
  while (
    keep < rehearsed.length &&
    keep < completed.length &&
    rehearsed[keep]?.wpId === completed[keep]?.wpId &&
    rehearsed[keep]?.head === completed[keep]?.head
  ) {
    keep++;
  }
  const kept = rehearsed.slice(0, keep);
  return {
    kept,
    ...(kept.length ? { from: kept[kept.length - 1]?.tip } : {}),
    packages: completed.slice(keep).map((pkg) => pkg.wpId),
  };
}

/** Whether there is anything to rehearse, or a package to drop from the rehearsal. */
export function rehearsalChanged(work: RehearsalWork, rehearsed: number): boolean {
  return work.packages.length > 0 || work.kept.length !== rehearsed;
}

export function predictedConflicts(rehearsed: readonly RehearsedPackage[]): PredictedConflict[] {
  return rehearsed.flatMap((pkg) => (pkg.conflict ? [pkg.conflict] : []));
}

/** `WP02 would conflict with WP01 in shared.txt`, as notes and headlines say it. */
export function conflictText(conflict: PredictedConflict): string {
  const others = conflict.with.length ? conflict.with.join(', ') : 'the packages before it';
  return `${conflict.wpId} would conflict with ${others} in ${conflict.files.join(', ')}`;
}

/** The same conflict, whatever order it was found in. */
export function sameConflict(a: PredictedConflict, b: PredictedConflict): boolean {
  return (
    a.wpId === b.wpId &&
    a.with.join('\n') === b.with.join('\n') &&
    a.files.join('\n') === b.files.join('\n')
  );
}

/**
 * Which files the packages completed in this run changed. Two branches can only conflict where
 * both changed a file, so a package that changed no file another completed package changed
 * needs no rehearsal (the next one that does takes it in). A package completed in an earlier
 * run is unknown here: it counts as meeting every other.
 */
export class ChangedFiles {
  private readonly byPackage = new Map<string, readonly string[]>();
  private readonly byFile = new Map<string, Set<string>>();

  /** The files of packages an earlier run of the sprint saw complete. */
  constructor(known: Readonly<Record<string, readonly string[]>> = {}) {
    for (const [wpId, files] of Object.entries(known)) this.add(wpId, files);
  }

  /** Every package's files, for the next run of the sprint. */
  toJSON(): Record<string, readonly string[]> {
    return Object.fromEntries(this.byPackage);
  }

  add(wpId: string, files: readonly string[]): void {
    for (const file of this.byPackage.get(wpId) ?? []) this.byFile.get(file)?.delete(wpId);
    this.byPackage.set(wpId, files);
    for (const file of files) {
      const owners = this.byFile.get(file) ?? new Set<string>();
      owners.add(wpId);
      this.byFile.set(file, owners);
    }
  }

  /** Whether `wpId` changed a file another of the `completed` packages changed too. */
  meetsAnother(wpId: string, completed: ReadonlySet<string>): boolean {
    for (const id of completed) if (id !== wpId && !this.byPackage.has(id)) return true;
    for (const file of this.byPackage.get(wpId) ?? []) {
      for (const owner of this.byFile.get(file) ?? []) {
        if (owner !== wpId && completed.has(owner)) return true;
      }
    }
    return false;
  }
}
