import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config';
import { startDevServer } from './dev-server';
import type { DevServer } from './dev-server';

export interface TemporalSession {
  client: Client;
  connection: Connection;
  address: string;
  namespace: string;
  /** The Web UI, when sprintwave knows where it is. */
  uiUrl?: string;
  /** Set when this process started the embedded dev server. */
  server?: DevServer;
  nativeConnection(): Promise<NativeConnection>;
  close(): Promise<void>;
}

/**
 * Connects to TEMPORAL_ADDRESS or, without it, to the embedded dev server: one already
 * serving on the dev port (another `sprintwave dev`) or a new one keeping its state in
 * `<home>/temporal.db`, so sprints survive a restart.
 */
export async function openTemporal(config: Readonly<Config>): Promise<TemporalSession> {
  const { namespace } = config.temporal;
  let address = config.temporal.address;
  let server: DevServer | undefined;
  let uiUrl: string | undefined;
  if (!address) {
    const local = `127.0.0.1:${config.temporal.devPort}`;
    uiUrl = `http://127.0.0.1:${config.temporal.uiPort}`;
    if (await isServing(local)) {
      address = local;
    } else {
      server = await startDevServer({
        port: config.temporal.devPort,
        uiPort: config.temporal.uiPort,
        dbFile: path.join(config.home, 'temporal.db'),
        logFile: path.join(config.home, 'logs', 'temporal.log'),
      });
      address = server.address;
    }
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  let native: NativeConnection | undefined;
  return {
    client,
    connection,
    address,
    namespace,
    uiUrl,
    server,
    async nativeConnection() {
      native ??= await NativeConnection.connect({ address });
      return native;
    },
    async close() {
      await native?.close();
      await connection.close();
      await server?.stop();
    },
  };
}

async function isServing(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 500 });
    try {
      await connection.healthService.check({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** Web UI link to a workflow. */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
