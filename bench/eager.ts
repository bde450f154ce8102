import { criticalPath } from '../src/domain/plan';
import type { Strategy } from '../src/domain/spec';
import type { Pkg } from './engine';
import type { BenchTemporal, Scratch } from './support';
import { assertCompleted, fmtMs, median, sprintSpec, uniqueId } from './support';

export const TARGET_RATIO = 1.1;

interface TimedPkg {
  id: string;
  dependsOn: string[];
  sleepS: number;
}

/**
 * Two chains whose long and short steps alternate out of phase, short side branches, and a
 * join: every wave holds a 3 s package, so `waves` pays 3 s per wave while each chain needs 7 s.
 */
export const UNEVEN_DAG: readonly TimedPkg[] = [
  { id: 'x1', dependsOn: [], sleepS: 0.5 },
  { id: 'x2', dependsOn: ['x1'], sleepS: 3 },
  { id: 'x3', dependsOn: ['x2'], sleepS: 0.5 },
  { id: 'x4', dependsOn: ['x3'], sleepS: 3 },
  { id: 'y1', dependsOn: [], sleepS: 3 },
  { id: 'y2', dependsOn: ['y1'], sleepS: 0.5 },
  { id: 'y3', dependsOn: ['y2'], sleepS: 3 },
  { id: 'y4', dependsOn: ['y3'], sleepS: 0.5 },
  { id: 's1', dependsOn: ['x1'], sleepS: 1 },
  { id: 's2', dependsOn: ['y2'], sleepS: 0.5 },
  { id: 's3', dependsOn: ['x3'], sleepS: 1 },
  { id: 's4', dependsOn: [], sleepS: 0.5 },
  { id: 'z', dependsOn: ['x4', 'y4', 's1', 's2', 's3', 's4'], sleepS: 0.5 },
];

/** The uneven DAG as packages: each sleeps, then writes a file of its own. */
export function unevenPackages(): Pkg[] {
  return UNEVEN_DAG.map((wp) => ({
    id: wp.id,
    dependsOn: wp.dependsOn,
    run: `sleep ${wp.sleepS} && echo ${wp.id} > f-${wp.id}.txt`,
  }));
}

/** Sum of the sleeps along the longest chain (the planner's critical path, sleeps as points). */
export function criticalPathMs(dag: readonly TimedPkg[]): { ms: number; path: string[] } {
  const nodes = dag.map((wp) => ({
    id: wp.id,
    dependsOn: wp.dependsOn,
    points: Math.round(wp.sleepS * 10),
  }));
  const { path, points } = criticalPath(nodes);
  return { ms: points * 100, path };
}

export interface StrategyResult {
  makespanMs: number[];
  medianMs: number;
  ratio: number;
}

export interface EagerResult {
  packages: number;
  criticalPathMs: number;
  criticalPath: string[];
  eager: StrategyResult;
  waves: StrategyResult;
  target: number;
  pass: boolean;
}

async function runOnce(
  temporal: BenchTemporal,
  scratch: Scratch,
  strategy: Strategy,
  name: string,
): Promise<number> {
  const spec = sprintSpec({
    id: uniqueId(`bench-${strategy}`),
    repo: await scratch.newRepo(name),
    strategy,
    concurrency: UNEVEN_DAG.length,
    packages: unevenPackages().map((wp) => ({ ...wp, title: `bench ${wp.id}` })),
  });
  const { ms, state } = await temporal.runSprint(spec);
  assertCompleted(state, UNEVEN_DAG.length);
  return ms;
}

export async function benchEager(
  temporal: BenchTemporal,
  scratch: Scratch,
  reps: number,
): Promise<EagerResult> {
  const critical = criticalPathMs(UNEVEN_DAG);
  const runs: Record<Strategy, number[]> = { eager: [], waves: [] };
  for (let rep = 1; rep <= reps; rep++) {
    const order: Strategy[] = rep % 2 ? ['eager', 'waves'] : ['waves', 'eager'];
    for (const strategy of order) {
      const ms = await runOnce(temporal, scratch, strategy, `${strategy}-${rep}`);
      runs[strategy].push(ms);
      console.log(`  rep ${rep} ${strategy.padEnd(6)} ${fmtMs(ms)}`);
    }
  }
  const summary = (values: number[]): StrategyResult => ({
    makespanMs: values,
    medianMs: median(values),
    ratio: median(values) / critical.ms,
  });
  const eager = summary(runs.eager);
  return {
    packages: UNEVEN_DAG.length,
    criticalPathMs: critical.ms,
    criticalPath: critical.path,
    eager,
    waves: summary(runs.waves),
    target: TARGET_RATIO,
    pass: eager.ratio <= TARGET_RATIO,
  };
}

export function printEager(result: EagerResult): void {
  console.log(
    `\nEager on an uneven DAG: ${result.packages} packages, sleeps 0.5–3 s, concurrency ${result.packages}`,
  );
  console.log(
    `  critical path ${fmtMs(result.criticalPathMs)} (${result.criticalPath.join(' → ')})`,
  );
  const line = (name: string, r: StrategyResult): string =>
    `  ${name} median ${fmtMs(r.medianMs)} (${r.makespanMs.map(fmtMs).join(', ')})  makespan/critical path ${r.ratio.toFixed(2)}`;
  console.log(
    `${line('eager', result.eager)}  target ≤ ${result.target}  ${result.pass ? 'PASS' : 'MISS'}`,
  );
  console.log(line('waves', result.waves));
}
