import type { EngineResult } from '../../bench/engine';
import type { FloorResult } from '../../bench/floor';
import { speedChecks, verdictOf } from '../../bench/speed-targets';

function engineResult(engineMs: number, bashMs: number, target: number): EngineResult {
  return {
    reps: 3,
    engineMs: [engineMs],
    bashMs: [bashMs],
    engineMedianMs: engineMs,
    bashMedianMs: bashMs,
    ratio: engineMs / bashMs,
    overheadPerPackageMs: 0,
    target,
    pass: engineMs / bashMs <= target,
    bashRetries: 0,
    latency: {
      stages: [
        { stage: 'child start (parent → child started)', medianMs: 34, p90Ms: 56 },
        {
          stage: 'first workflow task with prepareWorktree (→ runPackage scheduled)',
          medianMs: 318,
          p90Ms: 488,
        },
        { stage: 'workflow task with commitWork (→ child completed)', medianMs: 142, p90Ms: 204 },
        { stage: 'package total (parent start → parent sees done)', medianMs: 581, p90Ms: 725 },
      ],
      waveSwitchMs: [23, 22, 36, 16, 23],
      integration: { queueMs: 0, runMs: 517 },
      sprintStartMs: 53,
      sprintEndMs: 26,
      retries: 0,
    },
  };
}

const floor: FloorResult = {
  reps: 3,
  bashMs: [1563],
  gitMs: [3196],
  noopMs: [1424],
  eagerMs: [8260],
  criticalPathMs: 7500,
  gitRatio: 2.05,
  noopRatio: 0.91,
  eagerRatio: 1.1,
};

describe('the speed targets npm run bench judges', () => {
  it('says by how much each target misses and what the time went to', () => {
    const checks = speedChecks({
      engine: engineResult(5004, 2029, 1.5),
      split: { gitOnlyMs: 2435, gitOnlyRetries: 0, orchestrationOnlyMs: 1500 },
      realistic: engineResult(20452, 18975, 1.05),
      floor,
    });

    expect(checks.map((c) => [c.name, c.ratio.toFixed(2), verdictOf(c)])).toEqual([
      ['git activities alone / bash', '1.20', 'MISS by 0.10'],
      ['engine/bash, commands of 1–3 s', '1.08', 'MISS by 0.03'],
      ['engine/design floor (waves)', '1.57', 'MISS by 0.52'],
    ]);
    expect(checks[1]?.why).toBe(
      '1477 ms more over 6 waves (246 ms a wave); slowest stages per package (medians): ' +
        'first workflow task with prepareWorktree (→ runPackage scheduled) 318 ms, ' +
        'workflow task with commitWork (→ child completed) 142 ms',
    );
    expect(checks[0]?.why).toMatch(/^the engine's git steps took 406 ms more/);
  });

  it('passes a target met, with no reason to give', () => {
    const [git] = speedChecks({
      engine: engineResult(5004, 2029, 1.5),
      split: { gitOnlyMs: 2183, gitOnlyRetries: 0, orchestrationOnlyMs: 1500 },
    });

    expect(git).toMatchObject({ name: 'git activities alone / bash', pass: true });
    expect(git?.why).toBeUndefined();
    expect(verdictOf(git!)).toBe('PASS');
  });
});
