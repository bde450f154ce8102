import { planPullRequest, planPush } from '../../src/domain/delivery';
import { planSprint } from '../../src/domain/plan';
import { initialProgress, reduceProgress } from '../../src/domain/progress-reducer';
import type { ProgressEvent, SprintProgress } from '../../src/domain/progress';
import type { SprintSpec } from '../../src/domain/spec';
import { sprint, wp } from '../support/specs';

const INTEGRATION = 'sprintwave/demo/integration';
const MERGED = 'a'.repeat(40);

function evidence(commit: string) {
  return { commit, filesChanged: 1, insertions: 1, deletions: 0, files: ['x'] };
}

/** WP01 completed and merged; WP02 as `second` says. */
function finished(spec: SprintSpec, second: 'completed' | 'failed' | 'deferred'): SprintProgress {
  let state = initialProgress(spec, planSprint(spec), 0, 'owner');
  const events: ProgressEvent[] = [
    { type: 'package-started', id: 'WP01', at: 1, attempt: 1 },
    { type: 'package-completed', id: 'WP01', at: 2, evidence: evidence('1'.repeat(40)) },
  ];
  if (second === 'deferred') events.push({ type: 'package-deferred', id: 'WP02', reason: 'late' });
  else events.push({ type: 'package-started', id: 'WP02', at: 1, attempt: 1 });
  if (second === 'completed') {
    events.push({
      type: 'package-completed',
      id: 'WP02',
      at: 3,
      evidence: evidence('2'.repeat(40)),
    });
  }
  if (second === 'failed')
    events.push({ type: 'package-failed', id: 'WP02', at: 3, error: 'exit 1' });
  const merged = second === 'completed' ? ['WP01', 'WP02'] : ['WP01'];
  events.push(
    { type: 'integration-merged', commit: MERGED, worktree: '/w', merged, conflicts: [] },
    { type: 'integration-checked', checks: [] },
  );
  for (const event of events) state = reduceProgress(state, event);
  return state;
}

const pushing = (extra: Partial<SprintSpec['integration']> = {}) =>
  sprint([wp('WP01'), wp('WP02')], { integration: { checks: [], push: true, ...extra } });

describe('planPush', () => {
  it('plans nothing at all without integration.push', () => {
    const spec = sprint([wp('WP01'), wp('WP02')]);
    expect(planPush(spec, finished(spec, 'completed'), false)).toBeUndefined();
  });

  it('pushes the integration branch at the merged commit, and merged packages with pushPackages', () => {
    expect(planPush(pushing(), finished(pushing(), 'completed'), false)).toEqual({
      push: [{ branch: INTEGRATION, commit: MERGED }],
    });
    const spec = pushing({ pushPackages: true });
    expect(planPush(spec, finished(spec, 'completed'), false)).toEqual({
      push: [
        { branch: INTEGRATION, commit: MERGED },
        { branch: 'sprintwave/demo/WP01', commit: '1'.repeat(40) },
        { branch: 'sprintwave/demo/WP02', commit: '2'.repeat(40) },
      ],
    });
  });

  it('says why a failed or cancelled sprint pushes nothing, unless pushOnFailure', () => {
    const spec = pushing({ pushPackages: true });
    const failed = finished(spec, 'failed');
    expect(planPush(spec, failed, false)).toEqual({
      skip: 'the sprint did not complete (WP02 failed: exit 1) and integration.pushOnFailure is off',
    });
    expect(planPush(spec, failed, true)).toEqual({ skip: 'the sprint was cancelled' });
    const anyway = pushing({ pushPackages: true, pushOnFailure: true });
    expect(planPush(anyway, failed, false)).toEqual({
      push: [
        { branch: INTEGRATION, commit: MERGED },
        { branch: 'sprintwave/demo/WP01', commit: '1'.repeat(40) },
      ],
    });
    const nothing = reduceProgress(initialProgress(spec, planSprint(spec), 0, 'o'), {
      type: 'integration-skipped',
      reason: 'no package completed',
    });
    expect(planPush(anyway, nothing, false)).toEqual({
      skip: 'nothing was merged (no package completed)',
    });
  });
});

describe('planPullRequest', () => {
  const github = { repo: 'acme/widgets', sync: true, minInterval: '10s', pullRequest: true };

  function pushedAndFinished(spec: SprintSpec, second: 'completed' | 'failed' | 'deferred') {
    let state = finished(spec, second);
    state = reduceProgress(state, {
      type: 'push-finished',
      remote: 'origin',
      pushed: [{ branch: INTEGRATION, commit: MERGED, unchanged: false }],
    });
    return reduceProgress(state, { type: 'sprint-finished', at: 9 });
  }

  it('opens a ready pull request for a completed sprint, a draft otherwise', () => {
    const spec = { ...pushing({ pushOnFailure: true }), title: 'Sync', github };
    expect(planPullRequest(spec, pushedAndFinished(spec, 'completed'))).toEqual({
      head: INTEGRATION,
      base: 'main',
      title: 'Sync',
      draft: false,
    });
    expect(planPullRequest(spec, pushedAndFinished(spec, 'failed'))).toMatchObject({ draft: true });
    expect(planPullRequest(spec, pushedAndFinished(spec, 'deferred'))).toMatchObject({
      draft: true,
    });
    const noDrafts = { ...spec, github: { ...github, draftOnFailure: false } };
    expect(planPullRequest(noDrafts, pushedAndFinished(spec, 'failed'))).toMatchObject({
      draft: false,
      title: 'Sync',
    });
  });

  it('says why there is none: no push, GitHub off, nothing pushed', () => {
    const spec = { ...pushing(), github };
    const state = pushedAndFinished(spec, 'completed');
    expect(planPullRequest({ ...spec, github: { ...github, pullRequest: false } }, state)).toBe(
      undefined,
    );
    expect(planPullRequest({ ...spec, github: { ...github, sync: false } }, state)).toEqual({
      skip: 'github.sync is off',
    });
    const unpushed = { ...spec, integration: { checks: [] } };
    expect(planPullRequest(unpushed, state)).toEqual({
      skip: 'integration.push is off, so the integration branch is not on the remote',
    });
    const failed = reduceProgress(finished(spec, 'failed'), { type: 'sprint-finished', at: 9 });
    expect(planPullRequest(spec, failed)).toEqual({ skip: `\`${INTEGRATION}\` was not pushed` });
  });
});
