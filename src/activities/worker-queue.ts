import { ApplicationFailure } from '@temporalio/common';

/** Activities that route a package's worktree work to the worker that holds its worktree. */
export function createWorkerQueueActivities(hostQueue: string | undefined) {
  return {
    /** Answered by whichever worker takes it: that worker's own task queue. */
    async claimWorkerQueue(): Promise<string> {
      if (!hostQueue) {
        throw ApplicationFailure.nonRetryable(
          'this worker serves no host task queue, so it cannot hold worktrees for routed work',
          'NoHostQueue',
        );
      }
      return hostQueue;
    },
  };
}
