import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import {
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  makeTelemetryFilterString,
} from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';
import type { SprintProgress } from '../src/domain/progress';
import type { SprintSpec } from '../src/domain/spec';
import { loadConfig } from '../src/runtime/config';
import { startDevServer } from '../src/runtime/dev-server';
import type { DevServer } from '../src/runtime/dev-server';
import { createSprintWorker } from '../src/runtime/worker';
import { checkSprintSpec } from '../src/schemas/sprint-spec';
import { sprintWorkflow } from '../src/workflows';
import { dataConverter } from '../src/runtime/payload-codec';

const run = promisify(execFile);
export const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? NaN;
  return sorted.length % 2 ? upper : ((sorted[mid - 1] ?? NaN) + upper) / 2;
}

export function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

/** A temp dir removed by `cleanup`; every repository and worktree of a bench lives below it. */
export interface Scratch {
  dir: string;
  /** A fresh repository on `main` with one commit, in its own folder. */
  newRepo(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeScratch(): Promise<Scratch> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-bench-'));
  return {
    dir,
    newRepo: (name) => initRepo(path.join(dir, name, 'repo'), 'bench'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A new repository in `dir` on `main`, with one commit, committing as `user`. */
export async function initRepo(dir: string, user: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'config', 'user.name', user);
  await git(dir, 'config', 'user.email', `${user}@example.test`);
  await writeFile(path.join(dir, 'README.md'), `# ${user}\n`);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd })).stdout;
}

/** Runs a bash script; resolves to its stderr. */
export async function runBash(script: string, args: string[]): Promise<string> {
  return (await run('bash', [script, ...args], { maxBuffer: 16 * 1024 * 1024 })).stderr;
}

/** Single-quotes a string for bash. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A sprint spec with the schema's defaults; throws with every problem when it is invalid. */
export function sprintSpec(raw: Record<string, unknown>): SprintSpec {
  const checked = checkSprintSpec(raw);
  if (!checked.ok) throw new Error(`bad bench spec: ${JSON.stringify(checked.problems)}`);
  return checked.spec;
}

/** One dev server, one worker in this process, one task queue: shared by every benchmark. */
export interface BenchTemporal {
  client: Client;
  taskQueue: string;
  /** Runs a sprint to its end; the time is from the start request to the result. */
  runSprint(spec: SprintSpec, taskQueue?: string): Promise<{ ms: number; state: SprintProgress }>;
  /** Another worker on its own task queue and the same connection (and bundle, unless given). */
  startWorker(options: Omit<WorkerOptions, 'connection' | 'taskQueue'>): Promise<string>;
  /** Another sprint worker on its own task queue whose config also reads `env` (e.g. GITHUB_API_URL). */
  startSprintWorker(env: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchTemporal(home: string): Promise<BenchTemporal> {
  Runtime.install({
    logger: silent,
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  await mkdir(home, { recursive: true });
  const taskQueue = uniqueId('bench');
  const config = loadConfig({ SPRINTWAVE_HOME: home, TEMPORAL_TASK_QUEUE: taskQueue });
  const [server, bundle] = await Promise.all([
    startDevServer({
      uiPort: false,
      logFile: path.join(home, 'temporal.log'),
      // As `sprintwave run` keeps it; in memory otherwise.
      dbFile: process.env.BENCH_DB === 'file' ? path.join(home, 'temporal.db') : undefined,
    }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../src/workflows'), logger: silent }),
  ]);
  const stops: (() => Promise<void>)[] = [() => server.stop()];
  const stop = async (): Promise<void> => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    return await connect(server, config, bundle.code, stops, stop, home);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function connect(
  server: DevServer,
  config: ReturnType<typeof loadConfig>,
  code: string,
  stops: (() => Promise<void>)[],
  stop: () => Promise<void>,
  home: string,
): Promise<BenchTemporal> {
  const connection = await Connection.connect({ address: server.address });
  stops.push(() => connection.close());
  const native = await NativeConnection.connect({ address: server.address });
  stops.push(() => native.close());
  const client = new Client({
    connection,
    namespace: server.namespace,
    dataConverter: dataConverter(config.temporal.payloadKeys),
  });
  const worker = await createSprintWorker({
    connection: native,
    client,
    config,
    workflowBundle: { code },
  });
  const start = (started: Worker): void => {
    const running = started.run();
    stops.push(async () => {
      started.shutdown();
      await running;
    });
  };
  start(worker);
  const { taskQueue } = config.temporal;
  return {
    client,
    taskQueue,
    runSprint: (spec, queue = taskQueue) =>
      timed(() =>
        client.workflow.execute(sprintWorkflow, {
          workflowId: spec.id,
          taskQueue: queue,
          args: [{ spec }],
        }),
      ).then(({ ms, value }) => ({ ms, state: value })),
    async startWorker(options) {
      const queue = uniqueId('bench-extra');
      start(
        await Worker.create({
          ...options,
          connection: native,
          taskQueue: queue,
          workflowBundle: options.workflowBundle ?? { code },
        }),
      );
      return queue;
    },
    async startSprintWorker(env) {
      const queue = uniqueId('bench-sprint');
      const own = loadConfig({ ...env, SPRINTWAVE_HOME: home, TEMPORAL_TASK_QUEUE: queue });
      start(
        await createSprintWorker({
          connection: native,
          client,
          config: own,
          workflowBundle: { code },
        }),
      );
      return queue;
    },
    stop,
  };
}

/** Throws unless every package completed and merged cleanly. */
export function assertCompleted(state: SprintProgress, packages: number): void {
  const merged = state.integration.merged.length;
  if (state.status !== 'completed' || merged !== packages) {
    const failed = state.packages
      .filter((wp) => wp.status !== 'completed')
      .map((wp) => `${wp.id}: ${wp.status}`);
    throw new Error(
      `sprint ${state.id} ended ${state.status}, ${merged}/${packages} merged; ${failed.join(', ')}`,
    );
  }
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
