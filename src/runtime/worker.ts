import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { prebuiltBundle } from './bundle';
import type { Config } from './config';
import { hostQueueName, hostQueuePlugin } from './host-queue';
import { dataConverter } from './payload-codec';

export const HEARTBEAT_THROTTLE = 1_000;

export interface SprintWorkerOptions {
  connection: NativeConnection;
  client: Client;
  config: Readonly<Config>;
  /** A prebuilt workflow bundle; otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
  shutdownForceTime?: WorkerOptions['shutdownForceTime'];
}

/**
 * A worker on the shared task queue that also serves its own host queue
 * (`<taskQueue>@<worker id>`), where routed sprints send the work on the worktrees it holds.
 */
export async function createSprintWorker(options: SprintWorkerOptions): Promise<Worker> {
  const { config } = options;
  const workflowBundle = options.workflowBundle ?? prebuiltBundle();
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  const hostQueue = hostQueueName(taskQueue, config.worker.id);
  const common = {
    connection: options.connection,
    namespace: config.temporal.namespace,
    identity: `${process.pid}@${config.worker.id}`,
    shutdownForceTime: options.shutdownForceTime,
    // The client's converter too: what one writes, the other reads.
    dataConverter: dataConverter(config.temporal.payloadKeys),
    // Heartbeats reach the server within a second (not at 80% of the timeout): a lost worker's
    // activities time out in seconds, without false timeouts on a busy machine.
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    // A workflow task waiting on a dead worker's sticky queue moves to the shared queue after
    // 3 s, not 10: a live worker polls its sticky queue all the time, so this costs nothing then.
    stickyQueueScheduleToStartTimeout: 3_000,
    ...(config.worker.maxActivities
      ? { maxConcurrentActivityTaskExecutions: config.worker.maxActivities }
      : {}),
    activities: createActivities({
      client: options.client,
      worktreeRoot: config.worktreeRoot,
      allowedCommands: config.allowedCommands,
      hostQueue,
      workerId: config.worker.id,
      github: { token: config.github.token, apiUrl: config.github.apiUrl },
      events: {
        dataDir: config.home,
        eventsUrl: config.events.url,
        syncToken: config.events.syncToken,
        teamSlug: config.events.teamSlug,
      },
    }),
  };
  // The host queue stays unversioned: its work must reach the worker holding the worktree,
  // whichever build it runs.
  const host = await Worker.create({ ...common, taskQueue: hostQueue });
  return Worker.create({
    ...common,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    ...deploymentOptions(config.worker.deployment),
    plugins: [hostQueuePlugin(host)],
  });
}

/**
 * With a build id, the worker is one version of a Worker Deployment. Its workflows stay pinned
 * to it, so new code never replays their histories; the sprint moves on at continue-as-new.
 */
function deploymentOptions(
  version: Config['worker']['deployment'],
): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!version) return {};
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version,
      defaultVersioningBehavior: 'PINNED',
    },
  };
}
