import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { lifelineCommand } from './lifeline';
import { signalGroup } from './process-group';
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
  /** Where the server writes its output; a temporary file, removed by `stop()`, when absent. */
  logFile?: string;
  namespace?: string;
  /** The codec server the Web UI decodes payloads with (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
  /** Register SEARCH_ATTRIBUTES (default true); false stands in for a server without them. */
  searchAttributes?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  /** The server's pid, which is also its process group. */
  pid: number;
  /** Stops the server's process group and resolves once the server has exited. */
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

/** How many times a server that lost a port to another process is started again. */
const PORT_CLASH_ATTEMPTS = 4;

/**
 * Starts `temporal server start-dev` and resolves once it answers gRPC. The server writes straight
 * to its log file and runs on a lifeline (src/runtime/lifeline.ts): it stops when this process
 * goes away, even by SIGKILL.
 *
 * The server picks its internal services' ports itself and binds them later, so another process
 * can take one in between ("address already in use"): it is then started again on fresh ports.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = findTemporalCli();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launchDevServer(cli, options);
    } catch (error) {
      if (attempt >= PORT_CLASH_ATTEMPTS || !isPortClash(error)) throw error;
    }
  }
}

export function isPortClash(error: unknown): boolean {
  return error instanceof Error && /address already in use/i.test(error.message);
}

async function launchDevServer(cli: string, options: DevServerOptions): Promise<DevServer> {
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
      ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
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

  const log = openLog(options.logFile);
  const child = spawnOnLifeline(cli, args, log.fd);
  const address = `${ip}:${port}`;
  try {
    await waitUntilServing(child, address, () => log.output());
  } catch (error) {
    await child.stop();
    log.remove();
    throw error;
  }
  const uiPortArg = args[args.indexOf('--ui-port') + 1];
  return {
    address,
    namespace,
    pid: child.pid,
    uiUrl: options.uiPort === false ? undefined : `http://${ip}:${uiPortArg}`,
    async stop() {
      await child.stop();
      log.remove();
    },
  };
}

const LOG_TAIL_BYTES = 16_384;

interface ServerLog {
  /** Open for appending; the spawn duplicates it and then it is closed here. */
  fd: number;
  /** The end of what the server wrote since it was started. */
  output(): string;
  /** Deletes the log when it is a temporary one. */
  remove(): void;
}

function openLog(logFile: string | undefined): ServerLog {
  const tempDir = logFile ? undefined : mkdtempSync(path.join(os.tmpdir(), 'sprintwave-temporal-'));
  const file = logFile ?? path.join(tempDir as string, 'temporal.log');
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'a');
  const start = fstatSync(fd).size;
  return {
    fd,
    output: () => readSince(file, start),
    remove: () => {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

function readSince(file: string, start: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(start, size - LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(Math.max(0, size - from));
    readSync(fd, buffer, 0, buffer.length, from);
    const text = buffer.toString();
    // A tail cut mid-line starts at the next whole line.
    return from > start ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(fd);
  }
}

interface ServerProcess {
  pid: number;
  /** Why the server exited; undefined while it runs. */
  exit(): string | undefined;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

/**
 * Its own process group, which also keeps Ctrl-C away from it: the CLI stops its worker first
 * (reporting what it was doing) and only then the server. Output goes to the log file, never to a
 * pipe, so a killed parent cannot take the server down by SIGPIPE.
 */
function spawnOnLifeline(cli: string, args: string[], logFd: number): ServerProcess {
  const wrapped = lifelineCommand(cli, args, 'terminate');
  let child: ChildProcess;
  try {
    child = spawn(wrapped.file, wrapped.args, {
      stdio: ['ignore', logFd, logFd, 'pipe'],
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid ?? -1;
  const lifeline = child.stdio[3] as net.Socket | null;
  lifeline?.on('error', () => undefined);
  lifeline?.unref(); // held, never read: it must not keep this process alive
  let exit: string | undefined;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    const end = (why: string): void => {
      exit ??= why;
      // A server that ended by itself leaves its lifeline watcher, which would stop the group later.
      if (!stopping) signalGroup(pid, 'SIGTERM');
      lifeline?.destroy();
      resolve();
    };
    child.once('exit', (code, signal) => end(`exited with ${signal ?? code}`));
    child.once('error', (error) => end(`could not start: ${error.message}`));
  });
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    if (exit !== undefined) return;
    stopping = true;
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  return {
    pid,
    exit: () => exit,
    stop: () => (stopped ??= stop()),
  };
}

async function waitUntilServing(
  child: ServerProcess,
  address: string,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const exit = child.exit();
    if (exit) throw new Error(`The Temporal dev server ${exit}:\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        // Bounded: a port held by something that is not the server accepts and never answers.
        await connection.withDeadline(Date.now() + 2_000, () => connection.healthService.check({}));
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
