import path from 'node:path';
import { benchEager, printEager } from './eager';
import type { EagerResult } from './eager';
import { breakdown, printBreakdown } from './breakdown';
import type { Breakdown } from './breakdown';
import { benchEngine, engineDag, printEngine } from './engine';
import type { EngineResult } from './engine';
import { envInt, fmtMs, makeScratch, startBenchTemporal } from './support';
import type { BenchTemporal } from './support';

/** Runs every benchmark against one dev server and one in-process worker, then cleans up. */
async function main(): Promise<void> {
  const reps = envInt('BENCH_REPS', 3);
  const started = performance.now();
  const scratch = await makeScratch();
  let temporal: BenchTemporal | undefined;
  const cleanup = async (): Promise<void> => {
    await temporal?.stop();
    await scratch.cleanup();
  };
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    temporal = await startBenchTemporal(path.join(scratch.dir, 'home'));
    const engine = await section('Engine vs bash', () => benchEngine(requireTemporal(temporal), scratch, reps));
    printEngine(engine);
    const split = await breakdown(requireTemporal(temporal), scratch, engineDag());
    printBreakdown(split);
    const eager = await section('Eager vs waves', () => benchEager(requireTemporal(temporal), scratch, reps));
    printEager(eager);
    printSummary(engine, split, eager);
    console.log(`\nbench took ${fmtMs(performance.now() - started)}`);
    console.log(`BENCH_RESULT ${JSON.stringify(resultJson(engine, split, eager))}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

function requireTemporal(temporal: BenchTemporal | undefined): BenchTemporal {
  if (!temporal) throw new Error('Temporal is not started');
  return temporal;
}

async function section<T>(title: string, work: () => Promise<T>): Promise<T> {
  console.log(`\n== ${title}`);
  return work();
}

function printSummary(engine: EngineResult, split: Breakdown, eager: EagerResult): void {
  const rows = [
    ['engine/bash makespan (60 WPs)', engine.ratio.toFixed(2), `≤ ${engine.target}`, engine.pass ? 'PASS' : 'MISS'],
    ['overhead per package', `${Math.round(engine.overheadPerPackageMs)} ms`, '', ''],
    ['  git activities alone / bash', (split.gitOnlyMs / engine.bashMedianMs).toFixed(2), '', ''],
    ['  orchestration alone / bash', (split.orchestrationOnlyMs / engine.bashMedianMs).toFixed(2), '', ''],
    ['eager makespan/critical path', eager.eager.ratio.toFixed(2), `≤ ${eager.target}`, eager.pass ? 'PASS' : 'MISS'],
    ['waves makespan/critical path', eager.waves.ratio.toFixed(2), '(comparison)', ''],
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  console.log('\nSummary');
  for (const row of rows) console.log(`  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`);
}

function resultJson(engine: EngineResult, split: Breakdown, eager: EagerResult) {
  const round = (ms: number): number => Math.round(ms);
  return {
    reps: engine.reps,
    engine: {
      packages: 60,
      engineMedianMs: round(engine.engineMedianMs),
      bashMedianMs: round(engine.bashMedianMs),
      engineMs: engine.engineMs.map(round),
      bashMs: engine.bashMs.map(round),
      ratio: Number(engine.ratio.toFixed(3)),
      overheadPerPackageMs: round(engine.overheadPerPackageMs),
      target: engine.target,
      pass: engine.pass,
      stagesMedianMs: Object.fromEntries((engine.latency?.stages ?? []).map((s) => [s.stage, round(s.medianMs)])),
      waveSwitchMs: engine.latency?.waveSwitchMs.map(round),
      activityRetries: engine.latency?.retries,
      bashRetries: engine.bashRetries,
      gitOnlyMs: round(split.gitOnlyMs),
      orchestrationOnlyMs: round(split.orchestrationOnlyMs),
    },
    eager: {
      packages: eager.packages,
      criticalPathMs: eager.criticalPathMs,
      eagerMedianMs: round(eager.eager.medianMs),
      wavesMedianMs: round(eager.waves.medianMs),
      eagerRatio: Number(eager.eager.ratio.toFixed(3)),
      wavesRatio: Number(eager.waves.ratio.toFixed(3)),
      target: eager.target,
      pass: eager.pass,
    },
  };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
