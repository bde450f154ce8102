import { deadlineAt, packagesToDefer, projectFinish } from '../../src/domain/deadline';
import type { ProgressEvent, SprintProgress } from '../../src/domain/progress';
import { buildStandup, renderStandup } from '../../src/domain/standup';
import { applyEvents, startedProgress } from '../support/specs';

const T0 = Date.UTC(2025, 0, 13, 9, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

const sprintState = (raw: Record<string, unknown>): SprintProgress => startedProgress(raw, T0);

const apply = applyEvents;

const evidence = {
  commit: 'c'.repeat(40),
  filesChanged: 1,
  insertions: 1,
  deletions: 0,
  files: [],
};
const done = (id: string, from: number, to: number): ProgressEvent[] => [
  { type: 'package-started', id, at: from, attempt: 1 },
  { type: 'package-completed', id, at: to, evidence, note: `${id} done` },
];

const chain = {
  concurrency: 2,
  packages: [
    { id: 'WP01', title: 'Core', run: 'true', priority: 'P0', points: 3 },
    { id: 'WP02', title: 'Needed by core', run: 'true', priority: 'P2', points: 2 },
    {
      id: 'WP03',
      title: 'Uses core',
      run: 'true',
      priority: 'P0',
      dependsOn: ['WP01', 'WP02'],
      points: 3,
    },
    { id: 'WP04', title: 'Polish', run: 'true', priority: 'P1', points: 1 },
    { id: 'WP05', title: 'Docs', run: 'true', priority: 'P2', points: 1 },
  ],
};

describe('projectFinish', () => {
  it('uses estimates, counts only what is left of running packages, and takes the longer of path and workload', () => {
    const state = apply(sprintState(chain), {
      type: 'package-started',
      id: 'WP01',
      at: T0,
      attempt: 1,
    });
    const estimates = { WP01: 2 * HOUR, WP02: HOUR, WP03: 3 * HOUR, WP04: HOUR, WP05: HOUR };
    const projection = projectFinish(state, estimates, T0 + 30 * MIN);
    // WP01 has 1.5 h left, then WP03 3 h: the critical path; workload (1.5+1+3+1+1)/2 = 3.75 h.
    expect(projection.criticalPathMs).toBe(4.5 * HOUR);
    expect(projection.workloadMs).toBe(3.75 * HOUR);
    expect(projection.finishAt).toBe(T0 + 30 * MIN + 4.5 * HOUR);
  });

  it('falls back to the mean time of completed packages, and knows nothing before any', () => {
    const fresh = sprintState(chain);
    expect(projectFinish(fresh, {}, T0).finishAt).toBeUndefined();
    const state = apply(fresh, ...done('WP01', T0, T0 + HOUR), ...done('WP02', T0, T0 + 3 * HOUR));
    // Mean 2 h: WP03 then nothing after it → path 2 h; workload 3×2 h / 2 = 3 h.
    expect(projectFinish(state, {}, T0 + 3 * HOUR).finishAt).toBe(T0 + 6 * HOUR);
  });
});

describe('packagesToDefer', () => {
  it('defers pending packages below the highest priority, never a P0 nor what an in-scope package needs', () => {
    expect(packagesToDefer(sprintState(chain))).toEqual(['WP04', 'WP05']);
  });

  it('compares with the highest priority still unfinished', () => {
    const state = apply(
      sprintState(chain),
      ...done('WP01', T0, T0 + 1),
      ...done('WP02', T0, T0 + 1),
      ...done('WP03', T0, T0 + 2),
    );
    expect(packagesToDefer(state)).toEqual(['WP05']);
    const started = apply(state, { type: 'package-started', id: 'WP05', at: T0 + 3, attempt: 1 });
    expect(packagesToDefer(started)).toEqual([]);
  });

  it('reads a deadline as a duration from the start or as a time', () => {
    expect(deadlineAt('8h', T0)).toBe(T0 + 8 * HOUR);
    expect(deadlineAt('2025-01-14T17:00:00Z', T0)).toBe(Date.UTC(2025, 0, 14, 17));
  });
});

describe('stand-up', () => {
  const day2 = T0 + 26 * HOUR;
  const state = apply(
    sprintState(chain),
    ...done('WP01', T0, T0 + HOUR), // the day before yesterday's window
    ...done('WP02', T0 + 20 * HOUR, T0 + 22 * HOUR),
    { type: 'package-started', id: 'WP04', at: T0 + 23 * HOUR, attempt: 1 },
    {
      type: 'package-failed',
      id: 'WP04',
      at: T0 + 24 * HOUR,
      error: '`npm test` exited with code 1',
    },
    { type: 'package-started', id: 'WP03', at: T0 + 25 * HOUR, attempt: 1 },
    { type: 'package-progress', id: 'WP03', attempt: 1, done: 2, total: 5, note: 'parser' },
  );

  it('lists yesterday, today, blockers and points', () => {
    const standup = buildStandup(state, day2);
    expect(standup.date).toBe('2025-01-14');
    expect(standup.yesterday.completed.map((entry) => entry.id)).toEqual(['WP02']);
    expect(standup.yesterday.challenges).toEqual([
      { id: 'WP04', title: 'Polish', detail: '`npm test` exited with code 1' },
    ]);
    expect(standup.today.inProgress).toEqual([
      { id: 'WP03', title: 'Uses core', detail: '2/5 files, parser' },
    ]);
    expect(standup.today.next.map((entry) => entry.id)).toEqual(['WP05']);
    expect(standup.today.focus).toBe('P0: WP03');
    expect(standup.blockers.map((entry) => entry.id)).toEqual(['WP04']);
    expect(standup.progress).toEqual({
      pointsDone: 5,
      pointsTotal: 10,
      packagesDone: 2,
      packages: 5,
    });
  });

  it('renders the daily plan template', () => {
    expect(renderStandup(buildStandup(state, day2), 'Sprint 4')).toBe(
      [
        '### Date: 2025-01-14',
        '**Sprint**: Sprint 4',
        '**Yesterday**:',
        '- Completed:',
        '  - WP02 Needed by core (WP02 done)',
        '- Challenges:',
        '  - WP04 Polish (`npm test` exited with code 1)',
        '',
        '**Today**:',
        '- Focus: P0: WP03',
        '- Goals:',
        '  - WP03 Uses core (2/5 files, parser)',
        '  - WP05 Docs',
        '',
        '**Blockers**:',
        '- WP04 Polish (`npm test` exited with code 1)',
        '',
        '**Progress**: 5/10 story points completed (2 of 5 packages)',
      ].join('\n'),
    );
  });
});
