import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { HEARTBEAT_THROTTLE } from '../../src/runtime/worker';
import { dataConverter } from '../../src/runtime/payload-codec';

let runtimeInstalled = false;

function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
}

export function testAddress(): string {
  const address = process.env.SPRINTWAVE_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('The Jest global setup did not start a Temporal dev server.');
  return address;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TestTemporal {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** A client on the test server that reads and writes payloads as sprintwave's workers do. */
export function testClient(connection: Connection): Client {
  return new Client({ connection, dataConverter: dataConverter(undefined) });
}

export async function connectTestTemporal(): Promise<TestTemporal> {
  quietRuntime();
  const address = testAddress();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = testClient(connection);
  return {
    client,
    connection,
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** A worker on a unique task queue, loading the bundle built once by the global setup. */
export async function createTestWorker(
  temporal: TestTemporal,
  options: Omit<WorkerOptions, 'connection' | 'taskQueue' | 'workflowBundle' | 'workflowsPath'> & {
    taskQueue?: string;
  },
): Promise<Worker> {
  const codePath = process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('The Jest global setup did not build the workflow bundle.');
  return Worker.create({
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    ...options,
    connection: temporal.nativeConnection,
    taskQueue: options.taskQueue ?? uniqueId('queue'),
    workflowBundle: { codePath },
  });
}

/**
 * A history's events without its workflow tasks' own (scheduled, started, completed, timed out,
 * failed): how many of those there are depends on the machine's load, not on the workflow.
 */
export function eventsBeyondTasks(events: temporal.api.history.v1.IHistoryEvent[]): number {
  return events.filter(
    (event) =>
      !event.workflowTaskScheduledEventAttributes &&
      !event.workflowTaskStartedEventAttributes &&
      !event.workflowTaskCompletedEventAttributes &&
      !event.workflowTaskTimedOutEventAttributes &&
      !event.workflowTaskFailedEventAttributes,
  ).length;
}
