import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from './temporal-cli';

/** Search attributes sprintwave sets on its workflows, registered on the embedded server. */
export const SEARCH_ATTRIBUTES = {
  SprintId: 'Keyword',
  WorkPackage: 'Keyword',
  SprintStatus: 'Keyword',
} as const;

/** Server settings of the embedded dev server: hand activities to the worker that scheduled them. */
const DEV_DYNAMIC_CONFIG: Record<string, unknown> = {
  'system.enableActivityEagerExecution': true,
};

export interface DevServerOptions {
  /** SQLite file for durable state; in memory when absent. */
  dbFile?: string;
  port?: number;
  /** Web UI port; no Web UI when `false`. */
  uiPort?: number | false;
  ip?: string;
  logFile?: string;
  namespace?: string;
  /** Register SEARCH_ATTRIBUTES (default true); false stands in for a server without them. */
  searchAttributes?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `temporal server start-dev` and resolves once it answers gRPC. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = findTemporalCli();
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
  args.push(
    '--metrics-port',
    String(await freePort(ip)),
    '--http-port',
    String(await freePort(ip)),
  );
  if (options.uiPort === false) args.push('--headless');
  else
    args.push(
      '--ui-port',
      String(options.uiPort ?? (await freePort(ip))),
      '--ui-disable-news-fetch',
    );
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  const attributes = options.searchAttributes === false ? {} : SEARCH_ATTRIBUTES;
  for (const [name, type] of Object.entries(attributes)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [key, value] of Object.entries(DEV_DYNAMIC_CONFIG)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  // Its own process group: Ctrl-C reaches the CLI, which stops its worker first (reporting what it
  // was doing) and only then the server.
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  if (options.logFile) mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const keep = (chunk: Buffer): void => {
    log?.write(chunk);
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const address = `${ip}:${port}`;
  try {
    await waitUntilServing(child, address, () => output.join(''));
  } catch (error) {
    await stopProcess(child);
    log?.end();
    throw error;
  }
  const uiPortArg = args[args.indexOf('--ui-port') + 1];
  return {
    address,
    namespace,
    pid: child.pid ?? -1,
    uiUrl: options.uiPort === false ? undefined : `http://${ip}:${uiPortArg}`,
    async stop() {
      await stopProcess(child);
      log?.end();
    },
  };
}

async function waitUntilServing(
  child: ChildProcess,
  address: string,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`The Temporal dev server ${exited}:\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.healthService.check({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  throw new Error(`The Temporal dev server did not answer on ${address} within 60 s:\n${output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
