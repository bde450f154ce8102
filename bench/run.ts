import path from 'node:path';
import { TARGET_P99_RATIO, benchApi, printApi } from './api-load';
import type { ApiLoadResult } from './api-load';
import { benchEager, printEager } from './eager';
import type { EagerResult } from './eager';
import { breakdown, printBreakdown } from './breakdown';
import type { Breakdown } from './breakdown';
import {
  REALISTIC_TARGET_RATIO,
  benchEngine,
  engineDag,
  printEngine,
  realisticDag,
} from './engine';
import type { EngineResult } from './engine';
import { benchFloor, printFloor } from './floor';
import type { FloorResult } from './floor';
import { benchGithub, printGithub } from './github';
import type { GithubResult } from './github';
import { speedChecks, verdictOf } from './speed-targets';
import type { SpeedCheck } from './speed-targets';
import { envInt, fmtMs, makeScratch, startBenchTemporal } from './support';
import type { BenchTemporal } from './support';

const SECTIONS = ['engine', 'realistic', 'eager', 'floor', 'github', 'api'] as const;
type Section = (typeof SECTIONS)[number];

/** BENCH_ONLY=engine,github runs just those sections (engine includes its breakdown). */
function selectedSections(): Set<Section> {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length)
    throw new Error(
      `BENCH_ONLY: unknown section ${unknown.join(', ')} (use ${SECTIONS.join(', ')})`,
    );
  return new Set(only.length ? (only as Section[]) : SECTIONS);
}

interface Results {
  engine?: EngineResult;
  realistic?: EngineResult;
  split?: Breakdown;
  eager?: EagerResult;
  floor?: FloorResult;
  github?: GithubResult;
  api?: ApiLoadResult;
}

/** Runs every benchmark against one dev server and one in-process worker, then cleans up. */
async function main(): Promise<void> {
  const reps = envInt('BENCH_REPS', 3);
  const sections = selectedSections();
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
    const results: Results = {};
    if (sections.has('engine')) {
      results.engine = await section('Engine vs bash', () =>
        benchEngine(requireTemporal(temporal), scratch, reps),
      );
      printEngine(results.engine);
      results.split = await breakdown(requireTemporal(temporal), scratch, engineDag());
      printBreakdown(results.split);
    }
    if (sections.has('realistic')) {
      results.realistic = await section('Engine vs bash, commands that work 1–3 s', () =>
        benchEngine(
          requireTemporal(temporal),
          scratch,
          reps,
          realisticDag(),
          REALISTIC_TARGET_RATIO,
          'realistic-',
        ),
      );
      printEngine(results.realistic, 'commands that work 1–3 s');
    }
    if (sections.has('eager')) {
      results.eager = await section('Eager vs waves', () =>
        benchEager(requireTemporal(temporal), scratch, reps),
      );
      printEager(results.eager);
    }
    if (sections.has('floor')) {
      results.floor = await section('Design floor', () =>
        benchFloor(requireTemporal(temporal), scratch, reps),
      );
      printFloor(results.floor);
    }
    if (sections.has('github')) {
      results.github = await section('GitHub up vs down', () =>
        benchGithub(requireTemporal(temporal), scratch, reps),
      );
      printGithub(results.github);
    }
    if (sections.has('api')) {
      results.api = await section('API under load', () =>
        benchApi(requireTemporal(temporal), scratch, reps),
      );
      printApi(results.api);
    }
    const speed = speedChecks(results);
    printSummary(results, speed);
    console.log(`\nbench took ${fmtMs(performance.now() - started)}`);
    console.log(`BENCH_RESULT ${JSON.stringify(resultJson(reps, results, speed))}`);
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

function printSummary(
  { engine, split, eager, floor, github, api }: Results,
  checks: SpeedCheck[],
): void {
  const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');
  const rows: string[][] = [];
  if (engine && split) {
    rows.push(
      [
        'engine/bash makespan (60 WPs)',
        engine.ratio.toFixed(2),
        `≤ ${engine.target}`,
        verdict(engine.pass),
      ],
      ['overhead per package', `${Math.round(engine.overheadPerPackageMs)} ms`, '', ''],
      [
        '  orchestration alone / bash',
        (split.orchestrationOnlyMs / engine.bashMedianMs).toFixed(2),
        '',
        '',
      ],
    );
  }
  if (eager) {
    rows.push(
      [
        'eager makespan/critical path',
        eager.eager.ratio.toFixed(2),
        `≤ ${eager.target}`,
        verdict(eager.pass),
      ],
      ['waves makespan/critical path', eager.waves.ratio.toFixed(2), '(comparison)', ''],
    );
  }
  if (floor) {
    rows.push(
      ['design floor/bash (60 WPs)', floor.gitRatio.toFixed(2), '(least possible)', ''],
      ['  Temporal alone/bash', floor.noopRatio.toFixed(2), '', ''],
      ['eager design floor/critical path', floor.eagerRatio.toFixed(2), '(least possible)', ''],
    );
  }
  if (github) {
    rows.push(
      [
        `github down/up makespan (${github.packages} WPs)`,
        github.ratio.toFixed(3),
        `${(1 - github.target).toFixed(2)}–${(1 + github.target).toFixed(2)}`,
        verdict(github.makespanPass),
      ],
      [
        'github writes while up (worst run)',
        String(github.maxWrites),
        `≤ ${github.worstBound.toFixed(1)}`,
        verdict(github.writesPass),
      ],
      ['github requests while down (median)', String(github.medianRequestsWhileDown), '', ''],
    );
  }
  if (api) {
    for (const t of api.targets) {
      rows.push([
        `api ${t.target} p50/p99 at ${api.rate}/s`,
        `${t.p50Ms.toFixed(1)}/${t.p99Ms.toFixed(1)} ms`,
        t.target === 'baseline'
          ? ''
          : `p99 ${t.p99Ratio.toFixed(2)}× baseline ≤ ${TARGET_P99_RATIO}`,
        t.target === 'baseline' ? '' : verdict(t.p99Ratio <= TARGET_P99_RATIO),
      ]);
    }
    const errors = api.targets.reduce((sum, t) => sum + t.errors, 0);
    rows.push(['api errors (all routes)', String(errors), `≤ ${api.target}`, verdict(api.pass)]);
  }
  for (const check of checks) {
    rows.push([check.name, check.ratio.toFixed(2), `≤ ${check.target}`, verdictOf(check)]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  console.log('\nSummary');
  for (const row of rows)
    console.log(`  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`);
  const misses = checks.filter((check) => check.why);
  if (misses.length > 0) console.log('\nWhy the speed targets missed');
  for (const miss of misses) console.log(`  ${miss.name}: ${miss.why}`);
}

function resultJson(
  reps: number,
  { engine, split, realistic, eager, floor, github, api }: Results,
  speed: SpeedCheck[],
) {
  const round = (ms: number): number => Math.round(ms);
  return {
    reps,
    speed: speed.map((check) => ({
      ...check,
      ratio: Number(check.ratio.toFixed(3)),
    })),
    engine: engine &&
      split && {
        packages: 60,
        engineMedianMs: round(engine.engineMedianMs),
        bashMedianMs: round(engine.bashMedianMs),
        engineMs: engine.engineMs.map(round),
        bashMs: engine.bashMs.map(round),
        ratio: Number(engine.ratio.toFixed(3)),
        overheadPerPackageMs: round(engine.overheadPerPackageMs),
        target: engine.target,
        pass: engine.pass,
        stagesMedianMs: Object.fromEntries(
          (engine.latency?.stages ?? []).map((s) => [s.stage, round(s.medianMs)]),
        ),
        waveSwitchMs: engine.latency?.waveSwitchMs.map(round),
        activityRetries: engine.latency?.retries,
        bashRetries: engine.bashRetries,
        gitOnlyMs: round(split.gitOnlyMs),
        orchestrationOnlyMs: round(split.orchestrationOnlyMs),
      },
    realistic: realistic && {
      packages: 60,
      engineMedianMs: round(realistic.engineMedianMs),
      bashMedianMs: round(realistic.bashMedianMs),
      ratio: Number(realistic.ratio.toFixed(3)),
      target: realistic.target,
      pass: realistic.pass,
    },
    eager: eager && {
      packages: eager.packages,
      criticalPathMs: eager.criticalPathMs,
      eagerMedianMs: round(eager.eager.medianMs),
      wavesMedianMs: round(eager.waves.medianMs),
      eagerRatio: Number(eager.eager.ratio.toFixed(3)),
      wavesRatio: Number(eager.waves.ratio.toFixed(3)),
      target: eager.target,
      pass: eager.pass,
    },
    floor: floor && {
      bashMs: floor.bashMs.map(round),
      gitMs: floor.gitMs.map(round),
      noopMs: floor.noopMs.map(round),
      eagerMs: floor.eagerMs.map(round),
      criticalPathMs: floor.criticalPathMs,
      gitRatio: Number(floor.gitRatio.toFixed(3)),
      noopRatio: Number(floor.noopRatio.toFixed(3)),
      eagerRatio: Number(floor.eagerRatio.toFixed(3)),
    },
    github: github && {
      packages: github.packages,
      minIntervalS: github.minIntervalS,
      upMedianMs: round(github.upMedianMs),
      downMedianMs: round(github.downMedianMs),
      upMs: github.up.map((r) => round(r.makespanMs)),
      downMs: github.down.map((r) => round(r.makespanMs)),
      ratio: Number(github.ratio.toFixed(3)),
      target: github.target,
      makespanPass: github.makespanPass,
      writes: github.up.map((r) => r.writes),
      writeBounds: github.up.map((r) => Number(r.bound.toFixed(2))),
      writeBoundsToOutboxEnd: github.up.map((r) => Number(r.boundToOutboxEnd.toFixed(2))),
      writeWindowsMs: github.up.map((r) => round(r.windowMs)),
      writeAtMs: github.up.map((r) => r.writeAtMs),
      writesPass: github.writesPass,
      requestsWhileDown: github.down.map((r) => r.requestsWhileDown),
      outboxAfterUpMs: github.down.map((r) => round(r.outboxMs)),
      pass: github.pass,
    },
    api: api && {
      rate: api.rate,
      seconds: api.seconds,
      targets: Object.fromEntries(
        api.targets.map((t) => [
          t.target,
          {
            sent: t.sent,
            errors: t.errors,
            p50Ms: Number(t.p50Ms.toFixed(1)),
            p99Ms: Number(t.p99Ms.toFixed(1)),
            p99Ratio: Number(t.p99Ratio.toFixed(2)),
            p99MsPerRep: t.runs.map((run) => Number(run.p99Ms.toFixed(1))),
          },
        ]),
      ),
      target: api.target,
      pass: api.pass,
    },
  };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
