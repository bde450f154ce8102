import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { NativeConnection } from '@temporalio/worker';
import type { WebUiAddress } from '../domain/web-ui';
import { SPRINT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { Config } from './config';
import { startDevServer } from './dev-server';
import type { DevServer } from './dev-server';
import {
  removeDevServerRecord,
  stopOrphanedDevServer,
  writeDevServerRecord,
} from './dev-server-record';

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
 * `<home>/temporal.db`, so sprints survive a restart. A server whose starter was killed is
 * stopping: it is waited for and replaced, never attached to.
 */
export async function openTemporal(config: Readonly<Config>): Promise<TemporalSession> {
  const { namespace } = config.temporal;
  let address = config.temporal.address;
  let server: DevServer | undefined;
  const uiUrl = webUiUrl(config);
  if (!address) {
    const local = `127.0.0.1:${config.temporal.devPort}`;
    await stopOrphanedDevServer(config.home);
    if (await isServing(local)) {
      address = local;
    } else {
      server = await startEmbeddedServer(config);
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
      if (!server) return;
      await server.stop();
      await removeDevServerRecord(config.home, server.pid);
    },
  };
}

/** Starts the embedded dev server and records this process as its owner. */
async function startEmbeddedServer(config: Readonly<Config>): Promise<DevServer> {
  const server = await startDevServer({
    port: config.temporal.devPort,
    uiPort: config.temporal.uiPort,
    dbFile: path.join(config.home, 'temporal.db'),
    logFile: path.join(config.home, 'logs', 'temporal.log'),
  });
  try {
    await writeDevServerRecord(config.home, server.pid, config.temporal.devPort);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
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

export { workflowUrl } from '../domain/web-ui';

/**
 * The Web UI of the Temporal server sprintwave uses: TEMPORAL_UI_URL, or without
 * TEMPORAL_ADDRESS the embedded dev server's on SPRINTWAVE_UI_PORT. Unknown otherwise.
 */
export function webUiUrl(config: Readonly<Config>): string | undefined {
  if (config.temporal.uiUrl) return config.temporal.uiUrl.replace(/\/+$/, '');
  if (!config.temporal.address) return `http://127.0.0.1:${config.temporal.uiPort}`;
  return undefined;
}

export function webUiAddress(config: Readonly<Config>): WebUiAddress | undefined {
  const url = webUiUrl(config);
  return url ? { url, namespace: config.temporal.namespace } : undefined;
}

const searchAttributeChecks = new WeakMap<Client, Promise<boolean>>();

/**
 * Whether the client's namespace has sprintwave's search attributes (SprintId, WorkPackage,
 * SprintStatus) as Keywords. Asked once per client; when they are missing, sprints run
 * without them and a warning (a Node process warning) says how to add them.
 */
export function searchAttributesReady(client: Client): Promise<boolean> {
  let check = searchAttributeChecks.get(client);
  if (!check) {
    check = checkSearchAttributes(client);
    searchAttributeChecks.set(client, check);
  }
  return check;
}

async function checkSearchAttributes(client: Client): Promise<boolean> {
  const { namespace } = client.options;
  let missing: string[];
  try {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
      namespace,
    });
    missing = SPRINT_SEARCH_ATTRIBUTES.filter(
      (key) => customAttributes[key.name] !== encodeSearchAttributeIndexedValueType(key.type),
    ).map((key) => key.name);
  } catch (error) {
    // Asked again by the next start: the server may just have been unreachable for a moment.
    searchAttributeChecks.delete(client);
    warnNoSearchAttributes(`they cannot be listed (${(error as Error).message})`);
    return false;
  }
  if (missing.length === 0) return true;
  const names = missing.map((name) => `--name ${name}`).join(' ');
  warnNoSearchAttributes(
    `namespace ${namespace} lacks the Keyword search attributes ${missing.join(', ')}; add them ` +
      `with \`temporal operator search-attribute create --namespace ${namespace} --type Keyword ${names}\``,
  );
  return false;
}

function warnNoSearchAttributes(why: string): void {
  process.emitWarning(`Sprints start without search attributes: ${why}.`, {
    code: 'SPRINTWAVE_SEARCH_ATTRIBUTES',
  });
}
