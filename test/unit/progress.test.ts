import { overallProgress } from '../../src/domain/progress';
import { agentId, resumeProgress } from '../../src/domain/progress-reducer';
import type { SprintProgress } from '../../src/domain/progress';
import { renderProgressTable, renderSummary } from '../../src/domain/render-progress';
import { allSettled, currentWave, nextStep } from '../../src/domain/dispatch';
import { sprintStatusJson } from '../../src/schemas/status-json';
import { applyEvents, startedProgress } from '../support/specs';

const T0 = Date.UTC(2025, 9, 19, 16, 30, 0);

const sprintState = (raw: Record<string, unknown>): SprintProgress => startedProgress(raw, T0);

const diamond = {
  concurrency: 2,
  packages: [
    { id: 'WP01', title: 'Base', run: 'true', points: 3 },
    { id: 'WP02', title: 'Left', run: 'true', dependsOn: ['WP01'] },
    { id: 'WP03', title: 'Right', run: 'true', dependsOn: ['WP01'] },
    { id: 'WP04', title: 'Top', run: 'true', dependsOn: ['WP02', 'WP03'] },
  ],
};

const evidence = (files: number) => ({
  commit: 'c'.repeat(40),
  filesChanged: files,
  insertions: files,
  deletions: 0,
  files: [],
});

const apply = applyEvents;

describe('progress reducer', () => {
  it('names agents after the package and the start time', () => {
    expect(agentId('backend', Date.UTC(2025, 9, 19, 16, 30, 0))).toBe('impl-bac-163000');
    expect(agentId('WP-01', T0)).toBe('impl-wp0-163000');
  });

  it('tracks a package from start to completion with files from git', () => {
    let state = sprintState(diamond);
    state = apply(
      state,
      { type: 'package-started', id: 'WP01', at: T0 + 1_000, attempt: 1 },
      { type: 'package-progress', id: 'WP01', attempt: 1, done: 3, total: 7, note: 'halfway' },
    );
    expect(state.packages[0]).toMatchObject({
      status: 'in_progress',
      agent: 'impl-wp0-163001',
      filesCompleted: 3,
      filesTotal: 7,
      note: 'halfway',
    });
    expect(overallProgress(state)).toMatchObject({ percent: 11, filesCompleted: 3, filesTotal: 7 });
    expect(state.headline).toBe('Package WP01 started');

    state = apply(state, {
      type: 'package-completed',
      id: 'WP01',
      at: T0 + 5_000,
      evidence: evidence(5),
    });
    expect(state.packages[0]).toMatchObject({
      status: 'completed',
      filesCompleted: 5,
      filesTotal: 5,
      filesChanged: 5,
      exitCode: 0,
    });
    expect(state.headline).toBe('Package WP01 completed');
    expect(overallProgress(state).percent).toBe(25);
  });

  it('ignores progress of a stale attempt', () => {
    let state = sprintState(diamond);
    state = apply(
      state,
      { type: 'package-started', id: 'WP01', at: T0, attempt: 2 },
      { type: 'package-progress', id: 'WP01', attempt: 1, done: 9, total: 9 },
    );
    expect(state.packages[0]?.filesTotal).toBe(0);
  });

  it('retrying a failed package reopens the packages it blocked, and counts the attempt', () => {
    let state = sprintState(diamond);
    state = apply(
      state,
      { type: 'package-started', id: 'WP01', at: T0, attempt: 1 },
      { type: 'package-failed', id: 'WP01', at: T0 + 1, error: 'boom', exitCode: 2 },
      { type: 'package-blocked', id: 'WP02', by: ['WP01'] },
      { type: 'package-blocked', id: 'WP03', by: ['WP01'] },
      { type: 'package-blocked', id: 'WP04', by: ['WP02', 'WP03'] },
      { type: 'sprint-finished', at: T0 + 2 },
    );
    expect(state.status).toBe('failed');
    expect(state.reasons).toContain('WP01 failed: boom');
    state = resumeProgress(state, ['WP01']);
    expect(state.status).toBe('running');
    expect(state.packages.map((wp) => [wp.id, wp.status, wp.attempt])).toEqual([
      ['WP01', 'pending', 2],
      ['WP02', 'pending', 1],
      ['WP03', 'pending', 1],
      ['WP04', 'pending', 1],
    ]);
  });

  it('completes only with every package done, a clean merge and passing checks', () => {
    let state = sprintState({ packages: [{ id: 'A', title: 'a', run: 'true' }] });
    state = apply(
      state,
      { type: 'package-started', id: 'A', at: T0, attempt: 1 },
      { type: 'package-completed', id: 'A', at: T0 + 1, evidence: evidence(1) },
      { type: 'integration-merged', commit: 'm', worktree: '/w', merged: ['A'], conflicts: [] },
      {
        type: 'integration-checked',
        checks: [
          { command: 'npm test', exitCode: 1, passed: false, durationMs: 5, outputTail: [] },
        ],
      },
      { type: 'sprint-finished', at: T0 + 60_000 },
    );
    expect(state.status).toBe('failed');
    expect(state.reasons).toEqual(['check `npm test` failed with exit code 1']);
  });
});

describe('the deadline', () => {
  it('is kept as a time when the sprint starts, and the status JSON gives it for the board', () => {
    const at = Date.parse('2026-01-05T09:00:00Z');
    const packages = [{ id: 'WP01', title: 'One', run: 'true' }];
    const inHours = startedProgress({ deadline: '8h', packages }, at);
    expect(inHours.deadlineAt).toBe(at + 8 * 3_600_000);
    expect(sprintStatusJson(inHours).deadlineAt).toBe('2026-01-05T17:00:00.000Z');
    const atTime = startedProgress({ deadline: '2026-01-06T12:00:00Z', packages }, at);
    expect(sprintStatusJson(atTime).deadlineAt).toBe('2026-01-06T12:00:00.000Z');
    expect(sprintStatusJson(startedProgress({ packages }, at)).deadlineAt).toBeUndefined();
  });
});

describe('scheduler', () => {
  it('starts wave by wave, never more than concurrency', () => {
    let state = sprintState({ ...diamond, concurrency: 1 });
    expect(nextStep(state).start).toEqual(['WP01']);
    state = apply(state, { type: 'package-started', id: 'WP01', at: T0, attempt: 1 });
    expect(nextStep(state).start).toEqual([]);
    state = apply(state, { type: 'package-completed', id: 'WP01', at: T0, evidence: evidence(1) });
    expect(nextStep(state).start).toEqual(['WP02']);
    expect(currentWave(state)).toBe(2);
  });

  it('waves: a package waits for its whole previous wave; eager: only for its own dependencies', () => {
    const raw = {
      concurrency: 5,
      packages: [
        { id: 'A', title: 'slow', run: 'true' },
        { id: 'B', title: 'fast', run: 'true' },
        { id: 'C', title: 'after B', run: 'true', dependsOn: ['B'] },
      ],
    };
    const progressed = (state: SprintProgress) =>
      apply(
        state,
        { type: 'package-started', id: 'A', at: T0, attempt: 1 },
        { type: 'package-started', id: 'B', at: T0, attempt: 1 },
        { type: 'package-completed', id: 'B', at: T0, evidence: evidence(1) },
      );
    expect(nextStep(progressed(sprintState(raw))).start).toEqual([]);
    expect(nextStep(progressed(sprintState({ ...raw, strategy: 'eager' }))).start).toEqual(['C']);
  });

  it('blocks the dependents of a failed package and settles', () => {
    let state = sprintState(diamond);
    state = apply(
      state,
      { type: 'package-started', id: 'WP01', at: T0, attempt: 1 },
      { type: 'package-failed', id: 'WP01', at: T0, error: 'x' },
    );
    expect(nextStep(state).block).toEqual([
      { id: 'WP02', by: ['WP01'] },
      { id: 'WP03', by: ['WP01'] },
    ]);
    expect(allSettled(state)).toBe(false);
  });
});

describe('renderers', () => {
  it('renders the progress table of the reference format', () => {
    let state = sprintState(diamond);
    state = apply(
      state,
      { type: 'package-started', id: 'WP01', at: T0, attempt: 1 },
      { type: 'package-completed', id: 'WP01', at: T0 + 1, evidence: evidence(7) },
      { type: 'package-started', id: 'WP02', at: T0 + 2_000, attempt: 1 },
      { type: 'package-progress', id: 'WP02', attempt: 1, done: 3, total: 5 },
    );
    const table = renderProgressTable(state);
    expect(table).toContain('| Package | Agent | Status | Files | Progress |');
    expect(table).toContain('| WP01 | sh | ✅ Completed | 7/7 | 100% |');
    expect(table).toContain('| WP02 | sh | 🔄 In Progress | 3/5 | 60% |');
    expect(table).toContain('| WP03 | sh | ⏳ Pending | 0/0 | 0% |');
    expect(table).toContain('**Overall:** 40% (10/12 files)');
    expect(table).toContain('**Started:** 2025-10-19 16:30:00 UTC');
  });

  it('renders the final summary with merge results, conflicts and checks', () => {
    let state = sprintState({
      packages: [
        { id: 'A', title: 'a', run: 'true' },
        { id: 'B', title: 'b', run: 'true' },
      ],
    });
    state = apply(
      state,
      { type: 'package-started', id: 'A', at: T0, attempt: 1 },
      { type: 'package-completed', id: 'A', at: T0, evidence: evidence(4) },
      { type: 'package-started', id: 'B', at: T0, attempt: 1 },
      { type: 'package-completed', id: 'B', at: T0, evidence: evidence(2) },
      {
        type: 'integration-merged',
        commit: 'm',
        worktree: '/w',
        merged: ['A'],
        conflicts: [{ wpId: 'B', branch: 'sprintwave/s1/B', files: ['x.ts'] }],
      },
      { type: 'integration-checked', checks: [] },
      { type: 'sprint-finished', at: T0 + 12 * 60_000 },
    );
    const summary = renderSummary(state);
    expect(summary).toContain('**Total Duration:** 12m');
    expect(summary).toContain('- A: 4 files integrated');
    expect(summary).toContain('Conflicts: 1');
    expect(summary).toContain('- B (`sprintwave/s1/B`): `x.ts`');
    expect(summary).toContain('Integration checks: NOT RUN (conflicts)');
    expect(sprintStatusJson(state).integration.conflicts).toHaveLength(1);
    expect(sprintStatusJson(state).status).toBe('failed');
  });
});
