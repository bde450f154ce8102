import { isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { RehearsalStep } from '../activities/merge-rehearsal';
import { allSettled } from '../domain/dispatch';
import { packageBranch } from '../domain/ids';
import type { ProgressEvent, SprintProgress } from '../domain/progress';
import {
  ChangedFiles,
  predictedConflicts,
  rehearsalChanged,
  rehearsalWork,
} from '../domain/rehearsal';
import type { RehearsalWork, RehearsedPackage } from '../domain/rehearsal';
import type { SprintSpec } from '../domain/spec';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';
import { failureMessage } from './failures';
import { pickHost } from './routing';

/** Completed packages' branches are merged ahead of time, objects only, to predict conflicts. */
export const MERGE_REHEARSAL_PATCH = 'merge-rehearsal';

/** What the rehearsal needs of the sprint it runs beside. */
export interface RehearsalSource {
  spec: SprintSpec;
  /** The final merge's order: the plan's. */
  order: readonly string[];
  routeToHost?: boolean;
  state(): SprintProgress;
  apply(event: ProgressEvent): void;
  /** The sprint was cancelled: no rehearsal starts any more. */
  stopped(): boolean;
  /** A rehearsal ended: the sprint's dispatch loop looks again. */
  ended(): void;
}

/**
 * The merge rehearsal of one run of a sprint: rehearses the final merge of the completed
 * packages when a conflict is possible, one rehearsal at a time (completions during one are
 * taken by the next), and records what it predicts in the sprint's state.
 */
export class MergeRehearsal {
  /** The completed packages rehearsed so far, in merge order (this run's; the next starts over). */
  private rehearsed: RehearsedPackage[] = [];
  private running?: Promise<void>;
  private again = false;
  /** The files each completed package changed (this run's, and those handed over), and who changed each file. */
  private readonly changed: ChangedFiles;

  constructor(
    private readonly source: RehearsalSource,
    known?: Readonly<Record<string, readonly string[]>>,
  ) {
    this.changed = new ChangedFiles(known);
  }

  /** The files of every package seen to complete, for the next run: it need not assume a meeting. */
  changedFiles(): Record<string, readonly string[]> {
    return this.changed.toJSON();
  }

  /** `wpId` completed, changing `files`: rehearse when they meet another completed package's. */
  completed(wpId: string, files: readonly string[]): void {
    this.changed.add(wpId, files);
    if (this.changed.meetsAnother(wpId, completedIds(this.source.state()))) this.start();
  }

  /** Resolves once no rehearsal runs: before the final merge, or a hand-over to the next run. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** Not when nothing is left to run: the final merge comes next and decides. */
  private start(): void {
    const { source } = this;
    if (allSettled(source.state()) || source.stopped() || !patched(MERGE_REHEARSAL_PATCH)) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.rehearseWhileWanted().finally(() => {
      this.running = undefined;
      source.ended();
    });
  }

  private async rehearseWhileWanted(): Promise<void> {
    do {
      this.again = false;
      await this.rehearseOnce();
    } while (this.again && !this.source.stopped());
  }

  /** A rehearsal that fails predicts nothing (a warning says why); the final merge still decides. */
  private async rehearseOnce(): Promise<void> {
    const state = this.source.state();
    const byId = new Map(state.packages.map((wp) => [wp.id, wp]));
    const completed = this.source.order.flatMap((wpId) => {
      const wp = byId.get(wpId);
      return wp?.status === 'completed' && wp.commit ? [{ wpId, head: wp.commit }] : [];
    });
    if (completed.length < 2 && this.rehearsed.length === 0) return; // one branch alone merges
    const work = rehearsalWork(this.rehearsed, completed);
    if (!rehearsalChanged(work, this.rehearsed.length)) return;
    const heads = new Map(completed.map((pkg) => [pkg.wpId, pkg.head]));
    try {
      const steps = work.packages.length ? await this.rehearseFrom(work) : [];
      this.rehearsed = [...work.kept, ...steps.map((step) => rehearsedPackage(step, heads))];
    } catch (error) {
      if (isCancellation(error)) return;
      this.rehearsed = [];
      this.source.apply({ type: 'warning', message: `merge rehearsal: ${failureMessage(error)}` });
      return;
    }
    this.source.apply({ type: 'merge-rehearsed', conflicts: predictedConflicts(this.rehearsed) });
  }

  private async rehearseFrom(work: RehearsalWork): Promise<RehearsalStep[]> {
    const { spec, routeToHost } = this.source;
    const host = await pickHost(routeToHost);
    const { rehearseMerge } = proxyActivities<Activities>({ ...OPTIONS.rehearseMerge, ...host });
    const rehearsal = await rehearseMerge({
      repo: spec.repo,
      sprintId: spec.id,
      base: spec.base,
      ...(work.from ? { from: work.from } : {}),
      packages: work.packages.map((wpId) => ({ wpId, branch: packageBranch(spec.id, wpId) })),
    });
    return rehearsal.steps;
  }
}

function completedIds(state: SprintProgress): Set<string> {
  return new Set(state.packages.filter((wp) => wp.status === 'completed').map((wp) => wp.id));
}

/** A step of the activity as the sprint keeps it: keyed by the commit its completion reported. */
function rehearsedPackage(
  step: RehearsalStep,
  heads: ReadonlyMap<string, string>,
): RehearsedPackage {
  const { wpId, conflict } = step;
  return {
    wpId,
    head: heads.get(wpId) ?? '',
    tip: step.tip,
    ...(conflict ? { conflict: { wpId, with: conflict.with, files: conflict.files } } : {}),
  };
}
