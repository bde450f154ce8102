import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { packageWorkflowId } from '../../src/domain/ids';
import { workPackageWorkflow } from '../../src/workflows';
import {
  completePackageUpdate,
  failPackageUpdate,
  progressQuery,
  reportProgressUpdate,
  retryPackageUpdate,
} from '../../src/workflows/messages';
import { queryLiveState } from '../../src/runtime/live-progress';
import { fixtureGit } from '../support/git-fixtures';
import { pkg, sprint, startHarness, startSprint, waitFor } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { createTestWorker, eventsBeyondTasks, uniqueId } from '../support/temporal';

/** The sprint's state as the CLI and the API read it: with its running packages' live progress. */
async function live_(handle: WorkflowHandle) {
  return queryLiveState(handle);
}

jest.setTimeout(90_000);

type History = temporal.api.history.v1.IHistory;
const histories: { workflowId: string; history: History }[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a report until the package takes it: an attempt takes reports once its worktree is ready. */
async function whenReady<T>(send: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** The reason a validator gave for refusing an update. */
async function refusal(update: Promise<unknown>): Promise<string> {
  const error = await update.then(
    () => new Error('the report was accepted'),
    (e: unknown) => e,
  );
  if (!(error instanceof WorkflowUpdateFailedError)) throw error;
  return error.cause?.message ?? error.message;
}

type Attribute = keyof temporal.api.history.v1.IHistoryEvent;

const count = (history: History, attribute: Attribute) =>
  (history.events ?? []).filter((event) => event[attribute]).length;

/** The workflow time of each event with `attribute`: when the task that wrote it started. */
function writtenAt(history: History, attribute: Attribute): number[] {
  let taskStarted = NaN;
  const times: number[] = [];
  for (const event of history.events ?? []) {
    if (event.workflowTaskStartedEventAttributes) taskStarted = tsToMs(event.eventTime);
    if (event[attribute]) times.push(taskStarted);
  }
  return times;
}

describe('external packages on a real dev server and real git', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    harness = await startHarness();
    worker = await harness.worker();
    running = worker.run();
  });

  afterAll(async () => {
    worker.shutdown();
    await running;
    await harness.close();
  });

  const child = (sprintId: string, wpId: string) =>
    harness.temporal.client.workflow.getHandle<typeof workPackageWorkflow>(
      packageWorkflowId(sprintId, wpId),
    );

  async function keepHistory(handle: WorkflowHandle): Promise<History> {
    const history = await handle.fetchHistory();
    histories.push({ workflowId: handle.workflowId, history });
    return history;
  }

  it('refuses, with a reason and at no cost in history, reports that cannot apply', async () => {
    const release = path.join(harness.sandbox.dir, uniqueId('release'));
    const spec = sprint(harness.sandbox.repo, {
      strategy: 'eager',
      packages: [
        { id: 'WP01', title: 'By an agent', external: true },
        { id: 'WP02', title: 'By a command', run: `while [ ! -f ${release} ]; do sleep 0.1; done` },
        { id: 'WP03', title: 'Later', dependsOn: ['WP01'], external: true },
      ],
    });
    const handle = await startSprint(harness, { spec });
    await waitFor(
      () => handle.query(progressQuery),
      (s) => Boolean(pkg(s, 'WP01').worktree && pkg(s, 'WP02').worktree),
      'WP01 and WP02 to have worktrees',
    );
    const wp01 = child(spec.id, 'WP01');
    // Workflow tasks are not counted: a loaded machine may add one for reasons of its own.
    const before = eventsBeyondTasks((await wp01.fetchHistory()).events ?? []);

    const progress = (wpId: string, report: object) =>
      child(spec.id, wpId).executeUpdate(reportProgressUpdate, {
        args: [{ filesCompleted: 0, filesTotal: 1, ...report }],
      });
    expect(await refusal(progress('WP02', {}))).toBe(
      'WP02 is not external: its run command reports its progress',
    );
    expect(await refusal(progress('WP01', { filesCompleted: 5, filesTotal: 3 }))).toBe(
      'filesCompleted (5) is more than filesTotal (3)',
    );
    expect(await refusal(progress('WP01', { filesCompleted: -1 }))).toBe(
      'filesCompleted must be a whole number of at least 0, not -1',
    );
    expect(await refusal(progress('WP01', { filesTotal: 1.5 }))).toBe(
      'filesTotal must be a whole number of at least 0, not 1.5',
    );
    expect(await refusal(progress('WP01', { attempt: 2 }))).toBe(
      'attempt 2 has not started: the package is on attempt 1',
    );
    expect(await refusal(wp01.executeUpdate(failPackageUpdate, { args: [{ error: '  ' }] }))).toBe(
      'error must say what went wrong',
    );
    await expect(progress('WP03', {})).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(eventsBeyondTasks((await wp01.fetchHistory()).events ?? [])).toBe(before);

    const accepted = await progress('WP01', { filesCompleted: 1, filesTotal: 2, note: 'half' });
    expect(accepted).toEqual({
      id: 'WP01',
      status: 'in_progress',
      attempt: 1,
      filesCompleted: 1,
      filesTotal: 2,
    });
    await waitFor(
      () => live_(handle),
      (s) => pkg(s, 'WP01').filesCompleted === 1 && pkg(s, 'WP01').note === 'half',
      'a reader to see the progress',
    );
    const worktree = pkg(await handle.query(progressQuery), 'WP01').worktree as string;
    await writeFile(path.join(worktree, 'agent.txt'), 'written by the agent\n');
    const done = await wp01.executeUpdate(completePackageUpdate, {
      args: [{ attempt: 1, summary: 'agent done' }],
    });
    expect(done).toMatchObject({ id: 'WP01', status: 'completed', attempt: 1 });
    await expect(
      wp01.executeUpdate(completePackageUpdate, { args: [{ attempt: 1 }] }),
    ).rejects.toThrow();

    await waitFor(
      () => handle.query(progressQuery),
      (s) => Boolean(pkg(s, 'WP03').worktree),
      'WP03 to start once WP01 completed',
    );
    await child(spec.id, 'WP03').executeUpdate(completePackageUpdate, { args: [{}] });
    await writeFile(release, '');
    const state = await handle.result();
    expect(state.status).toBe('completed');
    expect(pkg(state, 'WP01')).toMatchObject({ status: 'completed', note: 'agent done' });
    const files = await fixtureGit(harness.sandbox.repo).raw([
      'show',
      '--name-only',
      '--format=',
      pkg(state, 'WP01').commit as string,
    ]);
    expect(files.trim().split('\n')).toEqual(['agent.txt']);
    await keepHistory(wp01);
    await keepHistory(handle);
  });

  it('refuses a report before the worktree is ready, and a second completion, in the validator', async () => {
    // A worker without a workflow cache: reports sent while no worker runs reach the workflow
    // together in one task, so the second is judged after the first was accepted.
    const taskQueue = uniqueId('external');
    const pausable = () =>
      createTestWorker(harness.temporal, {
        taskQueue,
        maxCachedWorkflows: 0,
        activities: createActivities({
          client: harness.temporal.client,
          worktreeRoot: harness.config.worktreeRoot,
        }),
      });
    const sprintId = uniqueId('standalone');
    const handle = await harness.temporal.client.workflow.start(workPackageWorkflow, {
      workflowId: packageWorkflowId(sprintId, 'WP01'),
      taskQueue,
      args: [
        {
          sprintId,
          wp: {
            id: 'WP01',
            title: 'Alone',
            dependsOn: [],
            external: true,
            priority: 'P1',
            mvp: false,
          },
          repo: harness.sandbox.repo,
          base: 'main',
          dependencyBranches: [],
          owner: uniqueId('owner'),
          attempt: 1,
          heartbeatTimeoutMs: 5_000,
        },
      ],
    });
    const early = handle.executeUpdate(reportProgressUpdate, {
      args: [{ filesCompleted: 0, filesTotal: 1 }],
    });
    await sleep(500);
    await (
      await pausable()
    ).runUntil(async () => {
      expect(await refusal(early)).toBe('WP01 is not in progress: its worktree is not ready yet');
      await whenReady(() =>
        handle.executeUpdate(reportProgressUpdate, {
          args: [{ filesCompleted: 1, filesTotal: 1 }],
        }),
      );
    });
    const twice = [1, 2].map(() =>
      handle.executeUpdate(completePackageUpdate, { args: [{ summary: 'done' }] }),
    );
    await sleep(500);
    const outcomes = await (
      await pausable()
    ).runUntil(async () => {
      const settled = await Promise.allSettled(twice);
      await handle.result();
      return settled;
    });
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(await refusal(Promise.reject(rejected?.reason))).toBe('WP01 already completed');
    expect(await handle.result()).toMatchObject({ status: 'completed' });
    await keepHistory(handle);
  });

  it('keeps progress with the package: readers see the latest report, the sprint only its status changes', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'Chatty', external: true }],
    });
    const handle = await startSprint(harness, { spec });
    await waitFor(
      () => handle.query(progressQuery),
      (s) => Boolean(pkg(s, 'WP01').worktree),
      'WP01 to have a worktree',
    );
    const wp01 = child(spec.id, 'WP01');
    const sprintBefore = await handle.fetchHistory();
    const reports = 200;
    const lanes = 10;
    // Ten agents' worth of reports, paced over about three seconds.
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < reports; i += lanes) {
          await sleep(150);
          await wp01.executeUpdate(reportProgressUpdate, {
            args: [{ filesCompleted: i < reports - lanes ? i : reports, filesTotal: reports }],
          });
        }
      }),
    );
    // A reader asks the package itself; the sprint's own state never heard of the reports.
    const live = await waitFor(
      () => live_(handle),
      (s) => pkg(s, 'WP01').filesCompleted === reports,
      'a reader to see the latest report',
    );
    expect(pkg(live, 'WP01').filesTotal).toBe(reports);
    expect(pkg(await handle.query(progressQuery), 'WP01').filesCompleted).toBe(0);
    const sprintAfter = await handle.fetchHistory();
    const childHistory = await wp01.fetchHistory();
    expect(count(childHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(reports);
    // The child told the sprint of its worktree only: no progress signal.
    expect(count(childHistory, 'signalExternalWorkflowExecutionInitiatedEventAttributes')).toBe(1);
    expect(count(sprintAfter, 'workflowExecutionSignaledEventAttributes')).toBe(
      count(sprintBefore, 'workflowExecutionSignaledEventAttributes'),
    );

    await wp01.executeUpdate(completePackageUpdate, { args: [{}] });
    expect(await handle.result()).toMatchObject({ status: 'completed' });
    await keepHistory(wp01);
    await keepHistory(handle);
  });

  it('fails a package that stays silent past its lease; each report renews it; a retry runs it again', async () => {
    const release = path.join(harness.sandbox.dir, uniqueId('release'));
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Leased', external: true, lease: '2s' },
        {
          id: 'WP02',
          title: 'Keeps the sprint open',
          run: `while [ ! -f ${release} ]; do sleep 0.1; done`,
        },
      ],
    });
    const handle = await startSprint(harness, { spec });
    await waitFor(
      () => handle.query(progressQuery),
      (s) => Boolean(pkg(s, 'WP01').worktree),
      'WP01 to have a worktree',
    );
    const wp01 = child(spec.id, 'WP01');
    // Reports every 0.5 s for 4 s, twice the lease: the package stays in progress.
    for (let i = 1; i <= 8; i++) {
      await sleep(500);
      await wp01.executeUpdate(reportProgressUpdate, {
        args: [{ filesCompleted: i, filesTotal: 10 }],
      });
    }
    expect(pkg(await handle.query(progressQuery), 'WP01').status).toBe('in_progress');
    const stalled = await waitFor(
      () => handle.query(progressQuery),
      (s) => pkg(s, 'WP01').status === 'failed',
      'WP01 to stall',
    );
    expect(pkg(stalled, 'WP01')).toMatchObject({
      error: 'stalled: no report within 2s',
      filesCompleted: 8,
    });
    // In workflow time: the lease ran out a whole 2 s after the last report renewed it.
    const leased = await keepHistory(wp01);
    const lastReport = writtenAt(leased, 'workflowExecutionUpdateAcceptedEventAttributes').at(-1);
    const stalledAt = (leased.events ?? [])
      .filter((event) => event.timerFiredEventAttributes)
      .at(-1);
    expect(tsToMs(stalledAt?.eventTime) - (lastReport as number)).toBeGreaterThanOrEqual(2_000);

    const retried = await handle.executeUpdate(retryPackageUpdate, { args: ['WP01'] });
    expect(pkg(retried, 'WP01')).toMatchObject({ status: 'pending', attempt: 2 });
    await waitFor(
      () => handle.query(progressQuery),
      (s) => pkg(s, 'WP01').status === 'in_progress' && pkg(s, 'WP01').attempt === 2,
      'WP01 to run again',
    );
    const report = (attempt: number) =>
      wp01.executeUpdate(reportProgressUpdate, {
        args: [{ attempt, filesCompleted: 1, filesTotal: 1 }],
      });
    const accepted = await whenReady(() => report(2));
    expect(accepted).toMatchObject({ attempt: 2, status: 'in_progress' });
    expect(await refusal(report(1))).toBe('attempt 1 is stale: the package is on attempt 2');
    await wp01.executeUpdate(completePackageUpdate, { args: [{ attempt: 2 }] });
    await writeFile(release, '');
    const state = await handle.result();
    expect(state.status).toBe('completed');
    expect(pkg(state, 'WP01')).toMatchObject({ status: 'completed', attempt: 2 });
    await keepHistory(wp01);
    await keepHistory(handle);
  });

  it('replays every recorded history without non-determinism', async () => {
    expect(histories.length).toBeGreaterThanOrEqual(8);
    const codePath = process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string;
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath } },
      histories,
    )) {
      expect(result.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(histories.length);
  });
});
