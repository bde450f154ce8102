import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { SCENARIOS, readHistoryFixtures } from '../support/history-fixtures';
import type { HistoryFixture } from '../support/history-fixtures';

jest.setTimeout(120_000);

const { History } = temporal.api.history.v1;

/**
 * Histories recorded from representative runs (`npm run record-histories`), replayed against
 * the workflow code of this checkout: a change that would break a running sprint fails here.
 * An intended change is guarded with `patched()`, then the histories are recorded again.
 */
describe('recorded histories replay against the current workflow code', () => {
  const codePath = () => process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string;
  let fixtures: HistoryFixture[];

  beforeAll(async () => {
    // Replay workers log every state change at INFO; only errors help here.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
    fixtures = await readHistoryFixtures();
  });

  const replayable = (fixture: HistoryFixture, history: unknown = fixture.history) => ({
    workflowId: fixture.workflowId,
    history: History.fromObject(history as Record<string, unknown>),
  });

  it('has a history of every representative run and every workflow type', () => {
    expect([...new Set(fixtures.map((fixture) => fixture.scenario))].sort()).toEqual(
      [...SCENARIOS].sort(),
    );
    expect([...new Set(fixtures.map((fixture) => fixture.workflowType))].sort()).toEqual([
      'eventsOutboxWorkflow',
      'githubOutboxWorkflow',
      'pullRequestOutboxWorkflow',
      'scheduledSprintWorkflow',
      'sprintWorkflow',
      'standupWorkflow',
      'workPackageWorkflow',
    ]);
    // Each history is whole: from the start to the close of its run.
    for (const fixture of fixtures) {
      const types = fixture.history.events.map(
        (event) => (event as { eventType: string }).eventType,
      );
      expect([fixture.workflowId, types[0]]).toEqual([
        fixture.workflowId,
        'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      ]);
      expect([fixture.workflowId, types.at(-1)]).toEqual([
        fixture.workflowId,
        expect.stringMatching(
          /^EVENT_TYPE_WORKFLOW_EXECUTION_(COMPLETED|CONTINUED_AS_NEW|CANCELED)$/,
        ),
      ]);
    }
  });

  it('replays every history without non-determinism', async () => {
    const failures: string[] = [];
    let replayed = 0;
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: codePath() } },
      fixtures.map((fixture) => replayable(fixture)),
    );
    for await (const result of results) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(fixtures.length);
  });

  it('fails a history that the workflow code no longer matches', async () => {
    const fixture = fixtures.find(
      (candidate) => candidate.scenario === 'waves' && candidate.workflowType === 'sprintWorkflow',
    ) as HistoryFixture;
    // As if the sprint had once called an activity that the code no longer calls there.
    const tampered = structuredClone(fixture.history) as {
      events: Array<{ activityTaskScheduledEventAttributes?: { activityType: { name: string } } }>;
    };
    const scheduled = tampered.events.find((event) => event.activityTaskScheduledEventAttributes);
    (
      scheduled?.activityTaskScheduledEventAttributes as { activityType: { name: string } }
    ).activityType.name = 'anActivityThisWorkflowNeverCalls';
    const { history, workflowId } = replayable(fixture, tampered);
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: codePath() } }, history, workflowId),
    ).rejects.toThrow(DeterminismViolationError);
  });
});
