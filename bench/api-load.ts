import path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { WorkflowHandle } from '@temporalio/client';
import { buildApp } from '../src/api/app';
import type { SprintSpec } from '../src/domain/spec';
import { loadConfig } from '../src/runtime/config';
import { sprintWorkflow } from '../src/workflows';
import { cancelSprintSignal, progressQuery } from '../src/workflows/messages';
import { LOAD_WORKER } from './load-generator';
import type { LoadOptions, LoadStats } from './load-generator';
import type { BenchTemporal, Scratch } from './support';
import { assertCompleted, envInt, median, sprintSpec, uniqueId } from './support';

/** Every request answered with a 2xx: the target. */
export const TARGET_ERRORS = 0;
/** A sprint's GET at most this many times the no-op route's p99. */
export const TARGET_P99_RATIO = 2;
const PACKAGES = 3;
const WARM_UP_S = 2;
const TIMEOUT_MS = 10_000;

const TARGETS = ['baseline', 'running', 'completed'] as const;
type Target = (typeof TARGETS)[number];
/** A route that does nothing, behind the same plugins and hooks as every other route. */
const BASELINE_ROUTE = '/bench/ping';

export interface TargetResult {
  target: Target;
  route: string;
  runs: LoadStats[];
  sent: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** Median p99 over the median p99 of the baseline. */
  p99Ratio: number;
}

export interface ApiLoadResult {
  reps: number;
  rate: number;
  seconds: number;
  targets: TargetResult[];
  target: number;
  pass: boolean;
}

type SprintHandle = WorkflowHandle<typeof sprintWorkflow>;

function apiSpec(repo: string, name: string, run: string): SprintSpec {
  return sprintSpec({
    id: uniqueId(`bench-api-${name}`),
    repo,
    concurrency: PACKAGES,
    packages: Array.from({ length: PACKAGES }, (_, i) => ({
      id: `a${i + 1}`,
      title: `${name} ${i + 1}`,
      run,
    })),
  });
}

/** A sprint whose packages sleep until it is cancelled; resolves once they all run. */
async function startRunningSprint(temporal: BenchTemporal, repo: string): Promise<SprintHandle> {
  const spec = apiSpec(repo, 'running', 'sleep 3600');
  const handle = await temporal.client.workflow.start(sprintWorkflow, {
    workflowId: spec.id,
    taskQueue: temporal.taskQueue,
    args: [{ spec }],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await handle.query(progressQuery);
    if (state.packages.every((wp) => wp.status === 'in_progress')) return handle;
    if (Date.now() > deadline) throw new Error(`sprint ${spec.id} did not start its packages`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopRunningSprint(handle: SprintHandle): Promise<void> {
  await handle.signal(cancelSprintSignal, 'bench done');
  await handle.result();
}

async function runCompletedSprint(temporal: BenchTemporal, repo: string): Promise<string> {
  const spec = apiSpec(repo, 'completed', 'echo "$SPRINTWAVE_WP_ID" > "f-$SPRINTWAVE_WP_ID.txt"');
  assertCompleted((await temporal.runSprint(spec)).state, PACKAGES);
  return spec.id;
}

/** The API on a free loopback port, with a rate limit far above the load. */
async function startApi(home: string, temporal: BenchTemporal, rate: number) {
  const config = loadConfig({ SPRINTWAVE_HOME: home, TEMPORAL_TASK_QUEUE: temporal.taskQueue });
  const app = await buildApp({ client: temporal.client, config, rateLimit: rate * 60 * 10 });
  app.get(BASELINE_ROUTE, async () => ({ ok: true }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

/** The load runs in a worker thread, so sender and server do not share an event loop. */
function loadFromThread(options: LoadOptions): Promise<LoadStats> {
  const thread = new Thread(path.join(__dirname, 'load-generator.js'), {
    workerData: { role: LOAD_WORKER, options },
  });
  return new Promise((resolve, reject) => {
    thread.once('message', (message: { stats?: LoadStats; error?: string }) => {
      if (message.stats) resolve(message.stats);
      else reject(new Error(`load generator: ${message.error ?? 'no result'}`));
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
}

/** Fails the bench when a route does not answer what it should (a 404 would be fast, too). */
async function expectStatus(url: string, status: string): Promise<void> {
  const response = await fetch(url);
  const body = (await response.json()) as { status?: string };
  if (response.status !== 200 || body.status !== status)
    throw new Error(`${url} answered ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
}

function summarizeTarget(
  target: Target,
  route: string,
  runs: LoadStats[],
  baselineP99: number,
): TargetResult {
  const p99Ms = median(runs.map((run) => run.p99Ms));
  return {
    target,
    route,
    runs,
    sent: runs.reduce((sum, run) => sum + run.sent, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms,
    p99Ratio: p99Ms / baselineP99,
  };
}

export async function benchApi(
  temporal: BenchTemporal,
  scratch: Scratch,
  reps: number,
): Promise<ApiLoadResult> {
  const rate = envInt('BENCH_API_RATE', 200);
  const seconds = envInt('BENCH_API_SECONDS', 20);
  const repo = await scratch.newRepo('api-load');
  const completedId = await runCompletedSprint(temporal, repo);
  const running = await startRunningSprint(temporal, repo);
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  try {
    api = await startApi(path.join(scratch.dir, 'api-home'), temporal, rate);
    const { url } = api;
    const routes: Record<Target, string> = {
      baseline: BASELINE_ROUTE,
      running: `/sprints/${running.workflowId}`,
      completed: `/sprints/${completedId}`,
    };
    await expectStatus(`${url}${routes.running}`, 'running');
    await expectStatus(`${url}${routes.completed}`, 'completed');
    const load = (target: Target, secs: number) =>
      loadFromThread({
        url: `${url}${routes[target]}`,
        rate,
        seconds: secs,
        timeoutMs: TIMEOUT_MS,
      });

    for (const target of TARGETS) await load(target, WARM_UP_S);
    const runs: Record<Target, LoadStats[]> = { baseline: [], running: [], completed: [] };
    for (let rep = 1; rep <= reps; rep++) {
      // Rotate the order, so drift in the machine's load hits every target alike.
      const order = TARGETS.map((_, i) => TARGETS[(i + rep - 1) % TARGETS.length] as Target);
      for (const target of order) {
        const stats = await load(target, seconds);
        runs[target].push(stats);
        console.log(`  rep ${rep} ${target.padEnd(9)} ${describeRun(stats)}`);
      }
    }
    await expectStatus(`${url}${routes.running}`, 'running');

    const baselineP99 = median(runs.baseline.map((run) => run.p99Ms));
    const targets = TARGETS.map((target) =>
      summarizeTarget(target, routes[target], runs[target], baselineP99),
    );
    return {
      reps,
      rate,
      seconds,
      targets,
      target: TARGET_ERRORS,
      pass: targets.every((t) => t.errors <= TARGET_ERRORS),
    };
  } finally {
    await api?.close();
    await stopRunningSprint(running);
  }
}

function describeRun(stats: LoadStats): string {
  const statuses = Object.entries(stats.statuses)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  return (
    `sent ${stats.sent} in ${(stats.elapsedMs / 1000).toFixed(1)} s, errors ${stats.errors}` +
    `${statuses ? ` (${statuses})` : ''}${stats.failures ? ` (${stats.failures} no answer)` : ''}, ` +
    `p50 ${fmt(stats.p50Ms)} p99 ${fmt(stats.p99Ms)} max ${fmt(stats.maxMs)}, ` +
    `sender lag ≤ ${fmt(stats.maxSendLagMs)}`
  );
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

export function printApi(result: ApiLoadResult): void {
  console.log(
    `\nAPI under load: GET at ${result.rate}/s for ${result.seconds} s (open loop), N=${result.reps}, ` +
      `a sprint of ${PACKAGES} packages`,
  );
  for (const t of result.targets) {
    console.log(
      `  ${t.target.padEnd(9)} ${t.route.padEnd(44)} sent ${t.sent}, errors ${t.errors}, ` +
        `p50 ${fmt(t.p50Ms)}, p99 ${fmt(t.p99Ms)} (${t.p99Ratio.toFixed(2)}× baseline)`,
    );
  }
  console.log(`  errors target ${result.target}  ${result.pass ? 'PASS' : 'MISS'}`);
  const worst = Math.max(...result.targets.map((t) => t.p99Ratio));
  console.log(
    `  p99 target ≤ ${TARGET_P99_RATIO}× baseline  ${worst <= TARGET_P99_RATIO ? 'PASS' : 'MISS'}`,
  );
}
