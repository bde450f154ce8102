import { envelopes, eventsForChange } from '../../src/domain/event-log';
import type { EventDraft } from '../../src/domain/event-log';
import { planSprint } from '../../src/domain/plan';
import { initialProgress, reduceProgress, resumeProgress } from '../../src/domain/progress-reducer';
import type { ProgressEvent, SprintProgress } from '../../src/domain/progress';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
const identity = {
  project_uuid: 'u-1',
  project_slug: 'widgets',
  node_id: 'abcdef012345',
  team_slug: 'local',
};
const evidence = {
  commit: 'c'.repeat(40),
  filesChanged: 1,
  insertions: 1,
  deletions: 0,
  files: ['a'],
};

function start(): SprintProgress {
  const checked = checkSprintSpec({
    id: 's1',
    repo: '/repo',
    packages: [
      { id: 'WP01', title: 'a', run: 'true' },
      { id: 'WP02', title: 'b', run: 'true', dependsOn: ['WP01'] },
    ],
  });
  if (!checked.ok) throw new Error('bad spec');
  return initialProgress(checked.spec, planSprint(checked.spec), T0, 'owner');
}

/** Applies events the way the workflow does, collecting the drafts of each change. */
function run(
  state: SprintProgress,
  events: ProgressEvent[],
): { state: SprintProgress; drafts: EventDraft[] } {
  const drafts: EventDraft[] = [];
  for (const event of events) {
    const next = reduceProgress(state, event);
    drafts.push(...eventsForChange(state, next, event));
    state = next;
  }
  return { state, drafts };
}

describe('events from state changes', () => {
  it('one WPStatusChanged per transition, waves and completion, with gapless sequences', () => {
    const { drafts } = run(start(), [
      { type: 'package-started', id: 'WP01', at: T0, attempt: 1 },
      { type: 'package-progress', id: 'WP01', attempt: 1, done: 1, total: 2 },
      { type: 'package-completed', id: 'WP01', at: T0 + 1, evidence },
      { type: 'package-started', id: 'WP02', at: T0 + 2, attempt: 1 },
      { type: 'package-completed', id: 'WP02', at: T0 + 3, evidence },
      {
        type: 'integration-merged',
        commit: 'm',
        worktree: '/w',
        merged: ['WP01', 'WP02'],
        conflicts: [],
      },
      { type: 'integration-checked', checks: [] },
      { type: 'sprint-finished', at: T0 + 4 },
    ]);
    expect(drafts.map((d) => [d.type, d.wpId, d.payload.from, d.payload.to])).toEqual([
      ['WaveStarted', undefined, undefined, undefined],
      ['WPStatusChanged', 'WP01', 'pending', 'in_progress'],
      ['WPProgress', 'WP01', undefined, undefined],
      ['WPStatusChanged', 'WP01', 'in_progress', 'completed'],
      ['WaveStarted', undefined, undefined, undefined],
      ['WPStatusChanged', 'WP02', 'pending', 'in_progress'],
      ['WPStatusChanged', 'WP02', 'in_progress', 'completed'],
      ['IntegrationCompleted', undefined, undefined, undefined],
      ['SprintCompleted', undefined, undefined, undefined],
    ]);
    const tagged = envelopes(
      drafts,
      { workflowId: 's1', runId: 'r1', sprintId: 's1', identity },
      0,
      T0,
    );
    expect(tagged.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(tagged.map((e) => e.event_id)).size).toBe(9);
    expect(tagged[0]?.payload).toEqual({ wave: 1, packages: ['WP01'] });
    expect(tagged[1]).toMatchObject({
      project_uuid: 'u-1',
      project_slug: 'widgets',
      team_slug: 'local',
      sprint_id: 's1',
      wp_id: 'WP01',
    });
  });

  it('a retried package’s transitions carry its new attempt; nothing changes, nothing is emitted', () => {
    let { state } = run(start(), [
      { type: 'package-started', id: 'WP01', at: T0, attempt: 1 },
      { type: 'package-failed', id: 'WP01', at: T0 + 1, error: 'boom' },
      { type: 'package-blocked', id: 'WP02', by: ['WP01'] },
      { type: 'sprint-finished', at: T0 + 2 },
    ]);
    const resumed = resumeProgress(state, ['WP01']);
    const reopened = eventsForChange(state, resumed, { type: 'package-retried', id: 'WP01' });
    expect(reopened.map((d) => [d.wpId, d.payload.from, d.payload.to, d.attempt])).toEqual([
      ['WP01', 'failed', 'pending', 2],
      ['WP02', 'blocked', 'pending', 1],
    ]);
    state = resumed;
    const again = run(state, [{ type: 'package-started', id: 'WP01', at: T0 + 5, attempt: 2 }]);
    expect(again.drafts).toEqual([
      expect.objectContaining({ type: 'WaveStarted' }),
      expect.objectContaining({ type: 'WPStatusChanged', wpId: 'WP01', attempt: 2 }),
    ]);
    expect(
      eventsForChange(again.state, again.state, { type: 'package-retried', id: 'WP02' }),
    ).toEqual([]);
  });
});
