import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

export const GIT_RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
} as const;
const GIT_TIMEOUT = '10 minutes';
/**
 * How long a silent activity may go before its worker counts as lost: a killed worker's package
 * is retried within seconds. Activities heartbeat every second (`withHeartbeats`, and workers
 * send them at most a second apart), so a busy machine has seconds of slack.
 */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5_000;
/** Routed work waits this long for its worker to poll; after that the worker counts as gone. */
const HOST_WAIT = '10 minutes';

// Unrouted, local git work runs beside the child workflow and saves a task-queue round trip per step.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: GIT_TIMEOUT,
  retry: GIT_RETRY,
});

const { claimWorkerQueue } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

/** Where work on one worktree runs: its worker's own task queue, or anywhere when not routing. */
export type HostOptions = Pick<ActivityOptions, 'taskQueue' | 'scheduleToStartTimeout'>;

export interface PackageHost {
  /** Spread into the options of any other activity that works in the worktree. */
  options: HostOptions;
  prepareWorktree: Activities['prepareWorktree'];
  commitWork: Activities['commitWork'];
}

/**
 * The worker a package's worktree lives on. Routing: whichever worker answers the claim on the
 * shared queue, then its own queue for every step. Otherwise the worker running the child.
 */
export async function pickPackageHost(route: boolean | undefined): Promise<PackageHost> {
  if (!route) {
    return { options: {}, prepareWorktree: local.prepareWorktree, commitWork: local.commitWork };
  }
  const options = await pickHost(true);
  const { prepareWorktree, commitWork } = proxyActivities<Activities>({
    startToCloseTimeout: GIT_TIMEOUT,
    retry: GIT_RETRY,
    ...options,
  });
  return { options, prepareWorktree, commitWork };
}

/** One worker's queue for a run of repository work (the integration merge and its checks). */
export async function pickHost(route: boolean | undefined): Promise<HostOptions> {
  if (!route) return {};
  return { taskQueue: await claimWorkerQueue(), scheduleToStartTimeout: HOST_WAIT };
}
