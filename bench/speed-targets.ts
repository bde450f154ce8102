import type { Breakdown } from './breakdown';
import type { EagerResult } from './eager';
import { PACKAGES } from './engine';
import type { EngineResult } from './engine';
import type { FloorResult } from './floor';
import { fmtMs, median } from './support';

/** The engine's own git work, without Temporal, against the bash script's. */
export const GIT_ALONE_TARGET = 1.1;
/** The engine against the design floor, waves and eager. */
export const FLOOR_TARGET = 1.05;

export interface SpeedCheck {
  name: string;
  ratio: number;
  target: number;
  pass: boolean;
  /** For a miss: what the measurements say the extra time went to. */
  why?: string;
}

export interface SpeedInputs {
  engine?: EngineResult;
  split?: Breakdown;
  realistic?: EngineResult;
  eager?: EagerResult;
  floor?: FloorResult;
}

/** The speed targets one `npm run bench` can judge, each with its ratio and, when missed, why. */
export function speedChecks({ engine, split, realistic, eager, floor }: SpeedInputs): SpeedCheck[] {
  const checks: SpeedCheck[] = [];
  if (engine && split) {
    const ratio = split.gitOnlyMs / engine.bashMedianMs;
    checks.push(
      check('git activities alone / bash', ratio, GIT_ALONE_TARGET, () => {
        const extra = split.gitOnlyMs - engine.bashMedianMs;
        return (
          `the engine's git steps took ${fmtMs(extra)} more than the script's for the same ` +
          `${PACKAGES} packages: worktree changes take turns within a repository, ` +
          'and each package also writes its branch record and reads its evidence back from git'
        );
      }),
    );
  }
  if (realistic) {
    checks.push(
      check('engine/bash, commands of 1–3 s', realistic.ratio, realistic.target, () => {
        const extra = realistic.engineMedianMs - realistic.bashMedianMs;
        const waves = (realistic.latency?.waveSwitchMs.length ?? 5) + 1;
        return (
          `${fmtMs(extra)} more over ${waves} waves (${fmtMs(extra / waves)} a wave); ` +
          slowestStages(realistic)
        );
      }),
    );
  }
  if (engine && floor) {
    const ratio = engine.engineMedianMs / median(floor.gitMs);
    checks.push(
      check('engine/design floor (waves)', ratio, FLOOR_TARGET, () => {
        const extra = engine.engineMedianMs - median(floor.gitMs);
        return `${fmtMs(extra)} more than the floor; ${slowestStages(engine)}`;
      }),
    );
  }
  if (eager && floor) {
    const ratio = eager.eager.medianMs / median(floor.eagerMs);
    checks.push(
      check('engine/design floor (eager)', ratio, FLOOR_TARGET, () => {
        const extra = eager.eager.medianMs - median(floor.eagerMs);
        return (
          `${fmtMs(extra)} more than the floor on a ${fmtMs(eager.criticalPathMs)} critical ` +
          'path: each package on it waits for its worktree and its commit step in turn'
        );
      }),
    );
  }
  return checks;
}

function check(name: string, ratio: number, target: number, why: () => string): SpeedCheck {
  const pass = ratio <= target;
  return { name, ratio, target, pass, ...(pass ? {} : { why: why() }) };
}

/** The two stages of a package with the longest medians, from the last run's histories. */
function slowestStages(result: EngineResult): string {
  const stages = (result.latency?.stages ?? [])
    .filter((s) => !s.stage.startsWith('package total') && !s.stage.startsWith('runPackage run'))
    .sort((a, b) => b.medianMs - a.medianMs)
    .slice(0, 2);
  if (stages.length === 0) return 'no per-stage figures in this run';
  const named = stages.map((s) => `${s.stage} ${fmtMs(s.medianMs)}`).join(', ');
  return `slowest stages per package (medians): ${named}`;
}

/** `PASS`, or `MISS by 0.03`. */
export function verdictOf(check: SpeedCheck): string {
  return check.pass ? 'PASS' : `MISS by ${(check.ratio - check.target).toFixed(2)}`;
}
