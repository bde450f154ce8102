import { Context } from '@temporalio/activity';
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
 */
export function createPackageEndActivities(client: Client) {
  return {
    async awaitPackageEnd(input: { workflowId: string }): Promise<PackageEnd> {
      const context = Context.current();
      const every = Math.max(1_000, (context.info.heartbeatTimeoutMs ?? 30_000) / 3);
      const timer = setInterval(() => context.heartbeat(), every);
      try {
        const handle = client.workflow.getHandle(input.workflowId);
        const result = await Promise.race([handle.result(), context.cancelled]);
        return { ended: 'result', result: result as WorkPackageResult };
      } catch (error) {
        return packageEndOf(error);
      } finally {
        clearInterval(timer);
      }
    },
  };
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
