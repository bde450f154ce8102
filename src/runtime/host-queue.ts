import type { Worker, WorkerPlugin } from '@temporalio/worker';

/** A worker's own task queue: work on the worktrees it holds is sent there. */
export function hostQueueName(taskQueue: string, workerId: string): string {
  return `${taskQueue}@${workerId}`;
}

/**
 * Runs the host-queue worker (activities only) beside the sprint worker it is plugged into:
 * both start together, and when either stops the other is shut down too.
 */
export function hostQueuePlugin(host: Worker): WorkerPlugin {
  return {
    name: 'sprintwave-host-queue',
    async runWorker(worker, next) {
      const [shared, own] = await Promise.allSettled([
        next(worker).finally(() => stop(host)),
        host.run().finally(() => stop(worker)),
      ]);
      if (shared.status === 'rejected') throw shared.reason;
      if (own.status === 'rejected') throw own.reason;
    },
  };
}

function stop(worker: Worker): void {
  if (worker.getState() === 'RUNNING') worker.shutdown();
}
