import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

/**
 * How long a silent activity may go before its worker counts as lost: a killed worker's package
 * is retried within seconds. Activities heartbeat every second (`withHeartbeats`, and workers
 * send them at most a second apart), so a busy machine has seconds of slack.
 */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5_000;
/** Routed work waits this long for its worker to poll; after that the worker counts as gone. */
const HOST_WAIT = '10 minutes';

// Unrouted, local git work runs beside the child workflow and saves a task-queue round trip per step.
const local = proxyLocalActivities<Activities>(OPTIONS.localGit);

const { claimWorkerQueue } = proxyActivities<Activities>(OPTIONS.claimWorkerQueue);

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
    ...OPTIONS.routedGit,
    ...options,
  });
  return { options, prepareWorktree, commitWork };
}

/** One worker's queue for a run of repository work (the integration merge and its checks). */
export async function pickHost(route: boolean | undefined): Promise<HostOptions> {
  if (!route) return {};
  return { taskQueue: await claimWorkerQueue(), scheduleToStartTimeout: HOST_WAIT };
}
