import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { NativeConnection } from '@temporalio/worker';
import type { WebUiAddress } from '../domain/web-ui';
import { SPRINT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { Config } from './config';
import { clientConnectionOptions, nativeConnectionOptions } from './connection-options';
import type { TemporalConnectionSettings } from './connection-options';
import { explainConnectFailure } from './connect-failure';
import { startDevServer } from './dev-server';
import type { DevServer } from './dev-server';
import {
  liveDevServerUsers,
  readDevServerRecord,
  recordedServerRuns,
  registerDevServerUser,
  removeDevServerRecord,
  stopOrphanedDevServer,
  writeDevServerRecord,
} from './dev-server-record';
import { withFileLock } from './file-lock';
import { dataConverter } from './payload-codec';

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
 * Connects to the address of Temporal's environment configuration (TEMPORAL_ADDRESS or the
 * profile's, with its TLS and API key) or, without one, to the embedded dev server of `<home>`:
 * one already serving on the dev port (another `sprintwave dev`) or a new one keeping its state in
 * `<home>/temporal.db`, so sprints survive a restart. Which of the two is decided under a lock
 * on the home, so parallel commands never start two servers on one database. A server whose
 * starter was killed is stopping: it is waited for and replaced, never attached to.
 */
export async function openTemporal(config: Readonly<Config>): Promise<TemporalSession> {
  const { namespace } = config.temporal;
  const uiUrl = webUiUrl(config);
  const embedded = config.temporal.address ? undefined : await openEmbedded(config);
  const address = config.temporal.address ?? (embedded?.address as string);
  const server = embedded?.server;
  // The embedded server is plain gRPC on the loopback: the profile's TLS is for its own address.
  const settings: TemporalConnectionSettings = embedded ? {} : config.temporal.connection;
  const connection = await Connection.connect(clientConnectionOptions(address, settings)).catch(
    async (error: unknown) => {
      throw await explainConnectFailure(error, address, settings);
    },
  );
  const client = new Client({
    connection,
    namespace,
    dataConverter: dataConverter(config.temporal.payloadKeys),
  });
  let native: NativeConnection | undefined;
  return {
    client,
    connection,
    address,
    namespace,
    uiUrl,
    server,
    async nativeConnection() {
      native ??= await NativeConnection.connect(nativeConnectionOptions(address, settings)).catch(
        async (error: unknown) => {
          throw await explainConnectFailure(error, address, settings);
        },
      );
      return native;
    },
    async close() {
      await native?.close();
      await connection.close();
      await embedded?.close();
    },
  };
}

interface Embedded {
  address: string;
  /** Set when this process started the server. */
  server?: DevServer;
  close(): Promise<void>;
}

/** How long the starter of the embedded server keeps it up for the commands still using it. */
const USERS_GRACE_MS = 30_000;

async function openEmbedded(config: Readonly<Config>): Promise<Embedded> {
  const { home } = config;
  const address = `127.0.0.1:${config.temporal.devPort}`;
  return withFileLock(devServerLockFile(home), async () => {
    await stopOrphanedDevServer(home);
    const record = await readDevServerRecord(home);
    const ours = record?.port === config.temporal.devPort && recordedServerRuns(record);
    // A server sprintwave started answers once its starter let go of the lock, so it is given
    // time on a busy machine; any other server (the user's own) is asked once.
    if (await isServing(address, ours ? 30_000 : 0)) {
      const leave = await registerDevServerUser(home);
      return { address, close: leave };
    }
    const server = await startEmbeddedServer(config);
    return {
      address: server.address,
      server,
      close: () => stopEmbeddedServer(home, server),
    };
  });
}

/** Stops the server this process started, once the commands that attached to it are done. */
async function stopEmbeddedServer(home: string, server: DevServer): Promise<void> {
  const deadline = Date.now() + USERS_GRACE_MS;
  for (;;) {
    while ((await liveDevServerUsers(home)) > 0 && Date.now() < deadline) await sleep(200);
    // Under the lock, and asked again there: no command attaches to a server about to stop.
    const stopped = await withFileLock(devServerLockFile(home), async () => {
      if ((await liveDevServerUsers(home)) > 0 && Date.now() < deadline) return false;
      await removeDevServerRecord(home, server.pid);
      await server.stop();
      return true;
    });
    if (stopped) return;
  }
}

function devServerLockFile(home: string): string {
  return path.join(home, 'dev-server.lock');
}

/** Starts the embedded dev server and records this process as its owner. */
async function startEmbeddedServer(config: Readonly<Config>): Promise<DevServer> {
  const server = await startDevServer({
    port: config.temporal.devPort,
    uiPort: config.temporal.uiPort,
    dbFile: path.join(config.home, 'temporal.db'),
    logFile: path.join(config.home, 'logs', 'temporal.log'),
    codecEndpoint: codecEndpoint(config),
  });
  try {
    await writeDevServerRecord(config.home, server.pid, config.temporal.devPort);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Where the Web UI sends encrypted payloads to be shown decoded: the codec routes of the HTTP
 * API (`sprintwave dev` serves it beside the server).
 */
function codecEndpoint(config: Readonly<Config>): string | undefined {
  return config.temporal.payloadKeys ? `${config.api.url}/codec` : undefined;
}

async function isServing(address: string, patienceMs: number): Promise<boolean> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.healthService.check({});
        return true;
      } finally {
        await connection.close();
      }
    } catch {
      if (Date.now() >= deadline) return false;
      await sleep(200);
    }
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
