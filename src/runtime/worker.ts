import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { prebuiltBundle } from './bundle';
import type { Config } from './config';

export interface SprintWorkerOptions {
  connection: NativeConnection;
  client: Client;
  config: Readonly<Config>;
  /** A prebuilt workflow bundle; otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
  progressIntervalMs?: number;
  shutdownForceTime?: WorkerOptions['shutdownForceTime'];
}

export async function createSprintWorker(options: SprintWorkerOptions): Promise<Worker> {
  const { config } = options;
  const workflowBundle = options.workflowBundle ?? prebuiltBundle();
  return Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    shutdownForceTime: options.shutdownForceTime,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      client: options.client,
      worktreeRoot: config.worktreeRoot,
      progressIntervalMs: options.progressIntervalMs,
      github: { token: config.github.token, apiUrl: config.github.apiUrl },
      events: {
        dataDir: config.home,
        eventsUrl: config.events.url,
        syncToken: config.events.syncToken,
        teamSlug: config.events.teamSlug,
      },
    }),
  });
}
