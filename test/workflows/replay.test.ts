import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { HISTORIES_DIR, SCENARIOS, readHistoryFixtures } from '../support/history-fixtures';
import type { HistoryFixture } from '../support/history-fixtures';

jest.setTimeout(120_000);

const { History } = temporal.api.history.v1;

/** A version's folder of histories: `v<major>.<minor>.<patch>`. */
const VERSION_FOLDER = /^v(\d+)\.(\d+)\.(\d+)$/;

function byVersion(a: string, b: string): number {
  const parts = (folder: string) => (VERSION_FOLDER.exec(folder) ?? []).slice(1).map(Number);
  const [left, right] = [parts(a), parts(b)];
  const differing = left.findIndex((part, i) => part !== right[i]);
  return differing < 0 ? 0 : (left[differing] as number) - (right[differing] as number);
}

interface VersionFixtures {
  version: string;
  fixtures: HistoryFixture[];
}

/** Every released version's histories, oldest first. */
async function readEveryVersion(entries: string[]): Promise<VersionFixtures[]> {
  const versions = entries.filter((entry) => VERSION_FOLDER.test(entry)).sort(byVersion);
  return Promise.all(
    versions.map(async (version) => ({
      version,
      fixtures: await readHistoryFixtures(path.join(HISTORIES_DIR, version)),
    })),
  );
}

/**
 * Histories recorded from representative runs of each released version (`npm run
 * record-histories`), replayed against the workflow code of this checkout: a change that would
 * break a sprint still running on an older version fails here. An intended change is guarded
 * with `patched()`; the next release records its own histories beside the older ones.
 */
describe('recorded histories replay against the current workflow code', () => {
  const codePath = () => process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string;
  let entries: string[];
  let versions: VersionFixtures[];
  let fixtures: HistoryFixture[];

  beforeAll(async () => {
    // Replay workers log every state change at INFO; only errors help here.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
    entries = await readdir(HISTORIES_DIR);
    versions = await readEveryVersion(entries);
    fixtures = versions.flatMap((version) => version.fixtures);
  });

  const replayable = (fixture: HistoryFixture, history: unknown = fixture.history) => ({
    workflowId: fixture.workflowId,
    history: History.fromObject(history as Record<string, unknown>),
  });

  it('keeps every history in the folder of the version that recorded it', () => {
    // A history outside a version's folder would be replayed by nothing.
    expect(entries.filter((entry) => !VERSION_FOLDER.test(entry))).toEqual([]);
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions)
      expect([version.version, version.fixtures.length > 0]).toEqual([version.version, true]);
  });

  it('has a history of every representative run and every workflow type', () => {
    // The newest version's recording covers every scenario of today; older ones may cover fewer.
    const newest = versions.at(-1)?.fixtures ?? [];
    expect([...new Set(newest.map((fixture) => fixture.scenario))].sort()).toEqual(
      [...SCENARIOS].sort(),
    );
    expect([...new Set(newest.map((fixture) => fixture.workflowType))].sort()).toEqual([
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
    for (const { version, fixtures: recorded } of versions) {
      const results = Worker.runReplayHistories(
        { workflowBundle: { codePath: codePath() } },
        recorded.map((fixture) => replayable(fixture)),
      );
      for await (const result of results) {
        replayed++;
        if (result.error) failures.push(`${version} ${result.workflowId}: ${result.error.message}`);
      }
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
