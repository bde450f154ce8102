import {
  patched,
  upsertMemo,
  CancellationScope,
  makeContinueAsNewFunc,
} from '@temporalio/workflow';
import type { SprintProgress } from '../domain/progress';
import {
  FINAL_STATE_MEMO,
  SPRINT_FAILS_PATCH,
  sprintCancellation,
  sprintFailure,
} from './outcomes';
import { SprintRun } from './sprint-run';
import type { SprintWorkflowInput } from './sprint-run';

export type { SprintWorkflowInput, SprintWorkflowOptions } from './sprint-run';

/**
 * A sprint: packages in dependency waves, each in its own child workflow, then integration.
 * Long sprints continue as new, handing their running packages over to the next run.
 */
export async function sprintWorkflow(input: SprintWorkflowInput): Promise<SprintProgress> {
  const run = new SprintRun(input);
  run.listen();
  await run.begin();
  if ((await run.dispatch()) === 'drained') {
    const next = await run.handOver();
    if (next) return continueOnCurrentVersion(next);
  }
  return ended(await run.finish());
}

/**
 * A versioned worker pins each run to its build; the next run starts on the deployment's current
 * version, so a long sprint takes up new code at its next hand-over. Unversioned workers ignore it.
 */
function continueOnCurrentVersion(next: SprintWorkflowInput): Promise<never> {
  // Made here, not at module scope: the function takes this run's info when it is made.
  const continueAsNew = makeContinueAsNewFunc<typeof sprintWorkflow>({
    initialVersioningBehavior: 'AUTO_UPGRADE',
  });
  return continueAsNew(next);
}

/**
 * Failed sprints end Failed in the Web UI, their failure carrying the final state; only a
 * cancel request lets a run end Cancelled (one cancelled by signal alone completes).
 */
function ended(final: SprintProgress): SprintProgress {
  if (final.status === 'failed' && patched(SPRINT_FAILS_PATCH)) throw sprintFailure(final);
  const cancelRequested = CancellationScope.current().consideredCancelled;
  if (final.status === 'cancelled' && cancelRequested && patched(SPRINT_FAILS_PATCH)) {
    // A Cancelled ending carries no details: the memo keeps the final state for readers.
    upsertMemo({ [FINAL_STATE_MEMO]: final });
    throw sprintCancellation(final);
  }
  return final;
}
