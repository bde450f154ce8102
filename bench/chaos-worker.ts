import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../src/runtime/config';
import {
  clientConnectionOptions,
  nativeConnectionOptions,
} from '../src/runtime/connection-options';
import { dataConverter } from '../src/runtime/payload-codec';
import { createSprintWorker } from '../src/runtime/worker';

/** The workflow bundle the chaos worker loads, so that a restart does not bundle again. */
export const CHAOS_BUNDLE_ENV = 'CHAOS_WORKFLOW_BUNDLE';
/** The line the worker prints once it polls its task queue. */
export const CHAOS_WORKER_READY = 'chaos worker ready';

/**
 * A sprint worker in a process of its own, for the chaos runs to kill: its settings come from
 * the environment (TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, SPRINTWAVE_HOME, GITHUB_*, the sync
 * backend), as a deployed worker's do.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const address = config.temporal.address;
  const codePath = process.env[CHAOS_BUNDLE_ENV];
  if (!address) throw new Error('chaos worker: TEMPORAL_ADDRESS is not set');
  if (!codePath) throw new Error(`chaos worker: ${CHAOS_BUNDLE_ENV} is not set`);
  const settings = config.temporal.connection;
  const connection = await NativeConnection.connect(nativeConnectionOptions(address, settings));
  const client = new Client({
    connection: await Connection.connect(clientConnectionOptions(address, settings)),
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(config.temporal.payloadKeys),
  });
  const worker = await createSprintWorker({
    connection,
    client,
    config,
    workflowBundle: { codePath },
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  console.log(CHAOS_WORKER_READY);
  await running;
  await connection.close();
  await client.connection.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
