import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { packageWorkflowId } from '../src/domain/ids';
import type { SprintSpec } from '../src/domain/spec';
import { sprintWorkflow } from '../src/workflows';
import { settledSprintState } from '../src/workflows/outcomes';
import { runHistories } from './history';
import type { RunHistory } from './history';
import {
  assertCompleted,
  envInt,
  fmtMs,
  makeScratch,
  sprintSpec,
  startBenchTemporal,
  uniqueId,
} from './support';

/** Temporal's history warnings: the sprint must stay below both in every run. */
const WARN_EVENTS = 10_240;
const WARN_BYTES = 10 * 1024 * 1024;
const MB = 1024 * 1024;

interface ScaleSettings {
  packages: number;
  waves: number;
  concurrency: number;
  run: string;
}

function settings(): ScaleSettings {
  return {
    packages: envInt('SCALE_PACKAGES', 1_000),
    waves: envInt('SCALE_WAVES', 10),
    concurrency: envInt('SCALE_CONCURRENCY', 20),
    run: process.env.SCALE_RUN ?? 'echo "$SPRINTWAVE_WP_ID" > "$SPRINTWAVE_WP_ID.txt"',
  };
}

/** Waves of equal width; a package needs the same slot of the wave before and, every third slot, the next. */
function scaleSpec(repo: string, s: ScaleSettings): SprintSpec {
  const width = Math.ceil(s.packages / s.waves);
  const id = (n: number): string => `P${String(n).padStart(4, '0')}`;
  const packages = Array.from({ length: s.packages }, (_, n) => {
    const dependsOn = n >= width ? [id(n - width)] : [];
    const next = n - width + 1;
    if (n >= width && n % 3 === 0 && next % width !== 0) dependsOn.push(id(next));
    return { id: id(n), title: `scale ${id(n)}`, dependsOn, run: s.run };
  });
  return sprintSpec({
    id: uniqueId('bench-scale'),
    repo,
    concurrency: s.concurrency,
    packages,
  });
}

/** Peak resident memory of this process (worker included), sampled, and the kernel's high-water mark. */
function memorySampler(): { stop(): Promise<{ sampledMb: number; hwmMb?: number }> } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  return {
    async stop() {
      clearInterval(timer);
      const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return { sampledMb: peak / MB, hwmMb: hwm ? Number(hwm) / 1024 : undefined };
    },
  };
}

/** The longest history among the packages' child workflows. */
async function childrenMaxHistory(client: Client, spec: SprintSpec): Promise<number> {
  let max = 0;
  const ids = spec.packages.map((wp) => packageWorkflowId(spec.id, wp.id));
  for (let i = 0; i < ids.length; i += 25) {
    const lengths = await Promise.all(
      ids
        .slice(i, i + 25)
        .map(async (id) => (await client.workflow.getHandle(id).describe()).historyLength),
    );
    max = Math.max(max, ...lengths);
  }
  return max;
}

function printRuns(runs: RunHistory[]): void {
  runs.forEach((run, index) => {
    const within = run.events < WARN_EVENTS && run.bytes < WARN_BYTES;
    console.log(
      `  run ${index + 1}: ${run.events} events, ${(run.bytes / MB).toFixed(2)} MB` +
        ` (input ${(run.inputBytes / 1024).toFixed(0)} KB)  ${within ? 'ok' : 'OVER THE WARNING'}`,
    );
  });
}

/** One sprint of SCALE_PACKAGES cheap packages on the embedded dev server, with its history figures. */
async function main(): Promise<void> {
  const s = settings();
  const scratch = await makeScratch();
  const temporal = await startBenchTemporal(path.join(scratch.dir, 'home')).catch(
    async (error: unknown) => {
      await scratch.cleanup();
      throw error;
    },
  );
  const onSignal = (): void => {
    void temporal
      .stop()
      .then(() => scratch.cleanup())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const spec = scaleSpec(await scratch.newRepo('scale'), s);
    console.log(
      `Scale: ${s.packages} packages in ${s.waves} waves, concurrency ${s.concurrency}, run \`${s.run}\``,
    );
    const memory = memorySampler();
    const started = performance.now();
    const handle = await temporal.client.workflow.start(sprintWorkflow, {
      workflowId: spec.id,
      taskQueue: temporal.taskQueue,
      args: [{ spec }],
    });
    const state = await settledSprintState(handle);
    const makespanMs = performance.now() - started;
    const peak = await memory.stop();
    assertCompleted(state, s.packages);

    const runs = await runHistories(temporal.client, spec.id, handle.firstExecutionRunId);
    const within = runs.every((run) => run.events < WARN_EVENTS && run.bytes < WARN_BYTES);
    console.log(`  makespan ${fmtMs(makespanMs)}`);
    console.log(`  runs ${runs.length} (continued as new ${runs.length - 1} times)`);
    printRuns(runs);
    console.log(
      `  children's longest history ${await childrenMaxHistory(temporal.client, spec)} events`,
    );
    const hwm = peak.hwmMb === undefined ? '' : `, high-water mark ${peak.hwmMb.toFixed(0)} MB`;
    console.log(`  worker peak RSS ${peak.sampledMb.toFixed(0)} MB sampled${hwm}`);
    console.log(`  every run under ${WARN_EVENTS} events and 10 MB: ${within ? 'PASS' : 'MISS'}`);
    console.log(
      `SCALE_RESULT ${JSON.stringify({ ...s, makespanMs: Math.round(makespanMs), runs, peakRssMb: peak })}`,
    );
    if (!within) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await temporal.stop();
    await scratch.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
