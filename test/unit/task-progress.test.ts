import { parseDoneLine } from '../../src/domain/progress-line';
import { packagePercent, taskCounts } from '../../src/domain/progress';
import type { ProgressEvent, SprintProgress } from '../../src/domain/progress';
import { renderProgressTable } from '../../src/domain/render-progress';
import { sprintStatusJson } from '../../src/schemas/status-json';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { applyEvents, startedProgress } from '../support/specs';

const T0 = Date.UTC(2025, 9, 19, 16, 30, 0);

const withChecklist = {
  packages: [
    {
      id: 'WP01',
      title: 'Identity',
      run: 'true',
      tasks: [
        { id: 'T001', title: 'Dataclass', done: true },
        { id: 'T002', title: 'Helpers' },
        { id: 'T003', title: 'Atomic writes' },
        { id: 'T004', title: 'Backfill' },
      ],
    },
    { id: 'WP02', title: 'Emitter', run: 'true' },
  ],
};

const sprintState = (raw: Record<string, unknown>): SprintProgress => startedProgress(raw, T0);

const apply = applyEvents;

const started: ProgressEvent = { type: 'package-started', id: 'WP01', at: T0 + 1_000, attempt: 1 };

function done(tasksDone: string[], attempt = 1): ProgressEvent {
  return { type: 'package-progress', id: 'WP01', attempt, done: 0, total: 0, tasksDone };
}

describe('parseDoneLine', () => {
  it.each([
    ['::done T003', 'T003'],
    ['  ::done WP01.3  ', 'WP01.3'],
    ['::done T003 atomic writes in place', 'T003'],
    ['::done\tR2', 'R2'],
  ])('reads %j', (line, id) => {
    expect(parseDoneLine(line)).toBe(id);
  });

  it.each(['', '::done', 'done T003', '::progress 1/2', 'echo ::done T003', '::doneT003'])(
    'ignores %j',
    (line) => {
      expect(parseDoneLine(line)).toBeUndefined();
    },
  );
});

describe('a package checklist in the progress state', () => {
  it('starts from the spec’s tasks, ticked ones included', () => {
    const state = sprintState(withChecklist);
    expect(taskCounts(state.packages[0]!)).toEqual({ completed: 1, total: 4 });
    expect(state.packages[1]?.tasks).toBeUndefined();
    expect(taskCounts(state.packages[1]!)).toBeUndefined();
  });

  it('ticks tasks off, each once, and counts them towards the package’s percent', () => {
    const state = apply(
      sprintState(withChecklist),
      started,
      done(['T003']),
      done(['T003', 'T002']),
      done(['T003', 'T002', 'T003']),
    );
    const wp = state.packages[0]!;
    expect(wp.tasks).toEqual([
      { id: 'T001', done: true },
      { id: 'T002', done: true },
      { id: 'T003', done: true },
      { id: 'T004', done: false },
    ]);
    expect(taskCounts(wp)).toEqual({ completed: 3, total: 4 });
    expect(packagePercent(wp)).toBe(75);
    expect(state.warnings).toEqual([]);
  });

  it('lets a `::progress` count decide the percent when the executor gives one', () => {
    const state = apply(sprintState(withChecklist), started, {
      type: 'package-progress',
      id: 'WP01',
      attempt: 1,
      done: 1,
      total: 10,
      tasksDone: ['T002'],
    });
    expect(packagePercent(state.packages[0]!)).toBe(10);
    expect(taskCounts(state.packages[0]!)).toEqual({ completed: 2, total: 4 });
  });

  it('ignores unknown task ids with one warning per package, and never crashes', () => {
    let state = apply(sprintState(withChecklist), started, done(['T999', 'T002']));
    expect(taskCounts(state.packages[0]!)).toEqual({ completed: 2, total: 4 });
    expect(state.warnings).toEqual(['WP01: ignored `::done` for tasks not on its checklist: T999']);
    state = apply(state, done(['T999', 'T002', 'X1']));
    expect(state.warnings).toEqual([
      'WP01: ignored `::done` for tasks not on its checklist: T999, X1',
    ]);
    const noChecklist = apply(
      sprintState(withChecklist),
      { type: 'package-started', id: 'WP02', at: T0, attempt: 1 },
      { type: 'package-progress', id: 'WP02', attempt: 1, done: 0, total: 0, tasksDone: ['T1'] },
    );
    expect(noChecklist.packages[1]?.tasks).toBeUndefined();
    expect(noChecklist.warnings).toHaveLength(1);
  });

  it('ignores ticks of a stale attempt', () => {
    const state = apply(sprintState(withChecklist), started, done(['T002'], 2));
    expect(taskCounts(state.packages[0]!)).toEqual({ completed: 1, total: 4 });
    expect(state.warnings).toEqual([]);
  });

  it('gives the checklist in the status JSON', () => {
    const state = apply(sprintState(withChecklist), started, done(['T002']));
    const json = sprintStatusJson(state);
    expect(json.packages[0]?.tasks?.filter((task) => task.done).map((task) => task.id)).toEqual([
      'T001',
      'T002',
    ]);
    expect(json.packages[0]?.tasks).toHaveLength(4);
    expect(json.packages[1]?.tasks).toBeUndefined();
  });

  it('shows the checklist in the GitHub progress table and the Overall line', () => {
    const state = apply(sprintState(withChecklist), started, done(['T002']));
    const table = renderProgressTable(state);
    expect(table).toMatch(/\| WP01 \| sh \| 🔄 In Progress \| 0\/0 \| 50% \(2\/4 tasks\) \|/);
    expect(table).toMatch(/\| WP02 \| sh \| ⏳ Pending \| 0\/0 \| 0% \|/);
    expect(table).toContain('**Overall:** 25% (0/0 files, 2/4 tasks)');
  });
});

describe('tasks in the sprint file', () => {
  it('rejects a task id used twice and one that is not a single word', () => {
    const checked = checkSprintSpec({
      id: 's1',
      repo: '.',
      packages: [
        {
          id: 'WP01',
          title: 'a',
          run: 'true',
          tasks: [
            { id: 'T1', title: 'x' },
            { id: 'T1', title: 'y' },
            { id: 'two words', title: 'z' },
          ],
        },
      ],
    });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems.map((problem) => problem.path)).toEqual([
      'packages[0].tasks[2].id',
      'packages[0].tasks[1].id',
    ]);
  });
});
