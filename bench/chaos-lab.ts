import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { freePort, startDevServer } from '../src/runtime/dev-server';
import type { DevServer } from '../src/runtime/dev-server';
import { startLocalGithub } from '../src/devtools/github-local/server';
import type { LocalGithub } from '../src/devtools/github-local/server';
import { startEventReceiver } from '../test/support/event-receiver';
import type { EventReceiver } from '../test/support/event-receiver';
import { CHAOS_BUNDLE_ENV, CHAOS_WORKER_READY } from './chaos-worker';
import { testClient } from '../test/support/temporal';

const GITHUB_TOKEN = 'ghp_chaos0000000000';
const SYNC_TOKEN = 'sync_chaos0000000000';
/** How long a killed worker or server stays down before it is started again. */
const RESTART_DELAY_MS = 300;

/** A dev server on a SQLite file that can be killed and started again on the same file and port. */
export interface ChaosServer {
  address(): string;
  /** SIGKILL, then a new server on the same database file and port. */
  crashAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosServer(dir: string): Promise<ChaosServer> {
  const port = await freePort();
  const options = {
    dbFile: path.join(dir, 'temporal.db'),
    port,
    uiPort: false as const,
    logFile: path.join(dir, 'temporal.log'),
  };
  let server: DevServer = await startDevServer(options);
  return {
    address: () => server.address,
    async crashAndRestart() {
      process.kill(server.pid, 'SIGKILL');
      await server.stop(); // resolves once the killed process has exited
      await sleep(RESTART_DELAY_MS);
      server = await startDevServer(options);
    },
    stop: () => server.stop(),
  };
}

/** One worker process at a time, started again whenever it is killed or dies. */
export interface WorkerSupervisor {
  /** Resolves once the current worker process polls (or has exited). */
  ready(): Promise<void>;
  /** SIGKILL the running worker; a new one is started right after. */
  crashAndRestart(): Promise<void>;
  /** Worker processes that exited without being killed (e.g. while the server was down). */
  unexpectedExits(): number;
  stop(): Promise<void>;
}

export function superviseWorker(env: NodeJS.ProcessEnv, logFile: string): WorkerSupervisor {
  const log = createWriteStream(logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let ready: Promise<void> = Promise.resolve();
  let stopping = false;
  let killing = false;
  let unexpected = 0;

  const start = (): void => {
    const next = spawnWorker(env);
    child = next;
    next.stdout?.pipe(log, { end: false });
    next.stderr?.pipe(log, { end: false });
    ready = new Promise((resolve) => {
      const onData = (chunk: Buffer): void => {
        if (!chunk.toString().includes(CHAOS_WORKER_READY)) return;
        next.stdout?.off('data', onData);
        resolve();
      };
      next.stdout?.on('data', onData);
      next.once('exit', () => resolve());
    });
    exited = new Promise((resolve) => {
      next.once('exit', () => {
        resolve();
        if (stopping || killing) return;
        unexpected++;
        setTimeout(() => stopping || start(), RESTART_DELAY_MS);
      });
    });
  };
  start();

  return {
    ready: () => ready,
    async crashAndRestart() {
      killing = true;
      child?.kill('SIGKILL');
      await exited;
      killing = false;
      await sleep(RESTART_DELAY_MS);
      if (!stopping) start();
    },
    unexpectedExits: () => unexpected,
    async stop() {
      stopping = true;
      child?.kill('SIGTERM');
      await exited;
      log.end();
    },
  };
}

/** The worker entry compiled beside this file, or run through ts-node from the sources (tests). */
function spawnWorker(env: NodeJS.ProcessEnv): ChildProcess {
  const compiled = __filename.endsWith('.js');
  const entry = path.join(__dirname, compiled ? 'chaos-worker.js' : 'chaos-worker.ts');
  const args = compiled ? [entry] : ['-r', 'ts-node/register/transpile-only', entry];
  return spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Everything a chaos run talks to: the server, one worker process, GitHub and the sync backend. */
export interface ChaosLab {
  dir: string;
  server: ChaosServer;
  worker: WorkerSupervisor;
  client: Client;
  github: LocalGithub;
  receiver: EventReceiver;
  taskQueue: string;
  close(): Promise<void>;
}

export interface ChaosLabOptions {
  /** Scratch folder: the server's database, SPRINTWAVE_HOME, logs. */
  dir: string;
  /** The workflow bundle the worker processes load. */
  workflowBundle: string;
  taskQueue: string;
}

export async function startChaosLab(options: ChaosLabOptions): Promise<ChaosLab> {
  const { dir, taskQueue } = options;
  await mkdir(dir, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const server = await startChaosServer(dir);
    closers.push(() => server.stop());
    const github = await startLocalGithub({ token: GITHUB_TOKEN });
    closers.push(() => github.close());
    const receiver = await startEventReceiver(SYNC_TOKEN);
    closers.push(() => receiver.close());
    const connection = await Connection.connect({ address: server.address() });
    closers.push(() => connection.close());
    const worker = superviseWorker(
      {
        ...process.env,
        TEMPORAL_ADDRESS: server.address(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        SPRINTWAVE_HOME: path.join(dir, 'home'),
        GITHUB_API_URL: github.url,
        GITHUB_TOKEN,
        SPRINTWAVE_EVENTS_URL: receiver.url,
        SPRINTWAVE_SYNC_TOKEN: SYNC_TOKEN,
        [CHAOS_BUNDLE_ENV]: options.workflowBundle,
      },
      path.join(dir, 'worker.log'),
    );
    closers.push(() => worker.stop());
    await worker.ready();
    const client = testClient(connection);
    return { dir, server, worker, client, github, receiver, taskQueue, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
