import { CompleteAsyncError, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { WorkPackageResult } from '../domain/progress';
import { endedCancelled, failedPackageOf } from '../workflows/outcomes';

/** How a package's workflow ended, as the sprint run that did not start it learns it. */
export type PackageEnd =
  | { ended: 'result'; result: WorkPackageResult }
  | { ended: 'cancelled' }
  /** Ended without a package result: terminated, timed out, or gone from the server. */
  | { ended: 'lost'; error: string };

/**
 * Watching the packages an earlier run of the sprint started: a run that continued as new while
 * they ran hands them over, and the next run waits for their ends here.
 *
 * Waiting is not work: the activity completes asynchronously, so it gives its slot back at once
 * and a watcher in this process heartbeats it and completes it with the package's end. Held
 * slots would be worse than wasted: with as many packages handed over as the worker has slots,
 * no package could run its next step, and none would ever end.
 */
export function createPackageEndActivities(client: Client) {
  return {
    async awaitPackageEnd(input: { workflowId: string }): Promise<PackageEnd> {
      const context = Context.current();
      const { taskToken, heartbeatTimeoutMs } = context.info;
      const every = Math.max(1_000, (heartbeatTimeoutMs ?? 30_000) / 3);
      const watch = { taskToken, workflowId: input.workflowId, every, log: context.log };
      void watchPackage(client, watch);
      throw new CompleteAsyncError();
    },
  };
}

/**
 * Heartbeats the activity until the package's workflow ends, then completes it with that end.
 * Any failure stops the heartbeats: the activity then times out and is tried again, on this
 * worker or another, with a watcher of its own.
 */
async function watchPackage(
  client: Client,
  watch: {
    taskToken: Uint8Array;
    workflowId: string;
    every: number;
    log: Context['log'];
  },
): Promise<void> {
  let beating = true;
  const beat = (): void => {
    if (!beating) return;
    client.activity.heartbeat(watch.taskToken).catch(() => {
      beating = false; // cancelled, timed out or completed elsewhere: nothing left to report to
    });
  };
  const timer = setInterval(beat, watch.every);
  timer.unref();
  beat();
  try {
    const end = await client.workflow
      .getHandle(watch.workflowId)
      .result()
      .then(
        (result): PackageEnd => ({ ended: 'result', result: result as WorkPackageResult }),
        packageEndOf,
      );
    if (beating) await client.activity.complete(watch.taskToken, end);
  } catch (error) {
    watch.log.warn('Stopped watching a handed-over package; the activity will be tried again', {
      workflowId: watch.workflowId,
      error: error instanceof Error ? error.message : String(error),
    });
  } finally {
    clearInterval(timer);
  }
}

export function packageEndOf(error: unknown): PackageEnd {
  if (error instanceof WorkflowNotFoundError) {
    return { ended: 'lost', error: 'its workflow is gone from the server' };
  }
  if (!(error instanceof WorkflowFailedError)) throw error;
  const failed = failedPackageOf(error);
  if (failed) return { ended: 'result', result: failed };
  if (endedCancelled(error)) return { ended: 'cancelled' };
  return { ended: 'lost', error: error.cause?.message ?? error.message };
}
