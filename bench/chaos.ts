import { existsSync } from 'node:fs';
import path from 'node:path';
import { PREBUILT_BUNDLE } from '../src/runtime/bundle';
import { runChaos } from './chaos-run';
import type { ChaosReport, ChaosRunResult } from './chaos-run';
import { fmtMs, makeScratch, median } from './support';

/**
 * `npm run chaos`: CHAOS_RUNS (default 10) sprints of CHAOS_PACKAGES (20) packages, each with
 * the worker killed at a random moment and every CHAOS_SERVER_EVERY-th (3rd) run the dev server
 * too; CHAOS_SEED replays the same kill moments. Exits 1 when any check failed.
 */
async function main(): Promise<void> {
  if (!existsSync(PREBUILT_BUNDLE)) {
    throw new Error(`${PREBUILT_BUNDLE} is missing: run \`npm run build\` first`);
  }
  const seed = envWhole('CHAOS_SEED', Math.floor(Math.random() * 2 ** 31), 0);
  const options = {
    runs: envWhole('CHAOS_RUNS', 10, 1),
    packages: envWhole('CHAOS_PACKAGES', 20, 1),
    serverEvery: envWhole('CHAOS_SERVER_EVERY', 3, 0),
    seed,
  };
  const started = performance.now();
  const scratch = await makeScratch();
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.log(
    `chaos: ${options.runs} runs of a ${options.packages}-package sprint, the worker killed in ` +
      `each, the dev server too ${serverPlan(options.serverEvery)}; CHAOS_SEED=${seed}`,
  );
  try {
    const report = await runChaos({
      ...options,
      dir: path.join(scratch.dir, 'chaos'),
      workflowBundle: PREBUILT_BUNDLE,
      onRun: (result) => console.log(runLine(result, options.packages)),
      signal: interrupt.signal,
    });
    printTotals(report);
    console.log(`chaos took ${fmtMs(performance.now() - started)}`);
    console.log(`CHAOS_RESULT ${JSON.stringify(resultJson(report))}`);
    if (report.runs.some((result) => !result.ok)) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await scratch.cleanup();
    // The interrupted runs' timers would keep the process alive: everything is stopped by now.
    if (interrupt.signal.aborted) process.exit(130);
  }
}

function runLine(result: ChaosRunResult, packages: number): string {
  const c = result.checks;
  const faults = result.faults.map(
    (f) => `${f.target} killed at ${fmtMs(f.atMs)} (${f.afterPackages}/${packages} done)`,
  );
  if (result.faults.length < result.plannedFaults) faults.push('(sprint ended before a kill)');
  const checks = [
    `completed ${yes(c.completed)}`,
    `tree ${yes(c.sameTree)}`,
    `attempts +${c.attempts} overlaps ${c.overlaps.length} outlived ${c.outlived.length}`,
    `events ${result.events} (+${result.resentEvents} resent) dup ${c.duplicateEvents} gaps ${c.sequenceGaps.length} complete ${yes(c.eventsComplete)}`,
    `comments ${c.progressComments}+${c.summaryComments}`,
  ];
  const verdict = result.ok ? 'PASS' : `FAIL (${result.problems.join('; ')})`;
  return `run ${String(result.run).padStart(2)}: ${fmtMs(result.makespanMs).padStart(7)}  ${faults.join(', ')}  |  ${checks.join(', ')}  ${verdict}`;
}

function printTotals(report: ChaosReport): void {
  const { runs } = report;
  const passed = runs.filter((r) => r.ok).length;
  const makespans = runs.map((r) => r.makespanMs);
  const withServer = runs.filter((r) => r.faults.some((f) => f.target === 'server')).length;
  const sum = (pick: (r: ChaosRunResult) => number): number =>
    runs.reduce((total, r) => total + pick(r), 0);
  console.log('\nTotals');
  console.log(
    `  runs passed             ${passed}/${runs.length} (${withServer} with a server restart)`,
  );
  console.log(`  fault-free run          ${fmtMs(report.referenceMs)}`);
  const kills = (target: string): number =>
    sum((r) => r.faults.filter((f) => f.target === target).length);
  console.log(`  kills                   ${kills('worker')} worker, ${kills('server')} server`);
  console.log(
    `  makespan under faults   median ${fmtMs(median(makespans))}, max ${fmtMs(Math.max(...makespans))}`,
  );
  console.log(`  sprints completed       ${runs.filter((r) => r.checks.completed).length}`);
  console.log(`  trees equal reference   ${runs.filter((r) => r.checks.sameTree).length}`);
  console.log(
    `  commands started again  ${sum((r) => r.checks.attempts)}, overlapping attempts ${sum((r) => r.checks.overlaps.length)}, outliving their worker ${sum((r) => r.checks.outlived.length)}`,
  );
  console.log(
    `  events delivered        ${sum((r) => r.events)}, duplicate ids ${sum((r) => r.checks.duplicateEvents)}, sequence gaps ${sum((r) => r.checks.sequenceGaps.length)}`,
  );
  console.log(
    `  resent under their key  ${sum((r) => r.resentEvents)} (a batch whose answer a killed worker never saw)`,
  );
  console.log(
    `  GitHub comments         ${sum((r) => r.checks.progressComments)} progress, ${sum((r) => r.checks.summaryComments)} summaries`,
  );
  console.log(`  worker deaths unasked   ${report.workerExits}`);
}

function resultJson(report: ChaosReport) {
  return {
    seed: report.seed,
    packages: report.packages,
    referenceMs: report.referenceMs,
    passed: report.runs.filter((r) => r.ok).length,
    runs: report.runs.map((r) => ({
      run: r.run,
      ok: r.ok,
      makespanMs: r.makespanMs,
      faults: r.faults,
      events: r.events,
      resentEvents: r.resentEvents,
      retried: r.retried,
      ...r.checks,
      problems: r.problems,
    })),
    workerExits: report.workerExits,
  };
}

function envWhole(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be a whole number ≥ ${min}, not ${JSON.stringify(raw)}`);
  }
  return value;
}

function yes(ok: boolean): string {
  return ok ? '✓' : '✗';
}

function serverPlan(every: number): string {
  if (every === 0) return 'in none';
  if (every === 1) return 'in every run';
  const suffix = every === 2 ? 'nd' : every === 3 ? 'rd' : 'th';
  return `in every ${every}${suffix} run`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
