import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { packageWorkflowId } from '../../src/domain/ids';
import type { SprintSpec } from '../../src/domain/spec';
import { loadConfig } from '../../src/runtime/config';
import type { Config } from '../../src/runtime/config';
import { createSprintWorker } from '../../src/runtime/worker';
import { sprintWorkflow } from '../../src/workflows';
import { progressQuery } from '../../src/workflows/messages';
import { pkg, sprint, startHarness, waitFor } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { uniqueId } from '../support/temporal';

jest.setTimeout(180_000);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What one run of a workflow ran on, from its own history. */
interface RunOnVersions {
  runId: string;
  /** The build id of each of its workflow task completions. */
  builds: string[];
  /** The worker identity of each workflow task it started. */
  workers: string[];
  next?: string;
}

async function runOnVersions(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<RunOnVersions> {
  const events: HistoryEvent[] =
    (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  return {
    runId,
    builds: events.flatMap((event) => {
      const completed = event.workflowTaskCompletedEventAttributes;
      return completed ? [completed.deploymentVersion?.buildId ?? 'unversioned'] : [];
    }),
    workers: events.flatMap((event) => {
      const started = event.workflowTaskStartedEventAttributes;
      return started ? [started.identity ?? '?'] : [];
    }),
    next:
      events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined,
  };
}

/** Every run of a workflow from `runId` on, following continue-as-new. */
async function everyRun(client: Client, workflowId: string, runId: string) {
  const runs: RunOnVersions[] = [];
  for (let next: string | undefined = runId; next;) {
    const run: RunOnVersions = await runOnVersions(client, workflowId, next);
    runs.push(run);
    next = run.next;
  }
  return runs;
}

/** The version describe() reports a run pinned to. */
async function pinnedVersion(client: Client, workflowId: string, runId?: string) {
  const description = await client.workflow.getHandle(workflowId, runId).describe();
  const info = description.raw.workflowExecutionInfo?.versioningInfo;
  return {
    status: description.status.name,
    behavior: info?.behavior,
    deploymentName: info?.deploymentVersion?.deploymentName,
    buildId: info?.deploymentVersion?.buildId,
  };
}

/**
 * A version can become current only once the server has seen it poll: until then it refuses,
 * so this asks again until it takes.
 */
async function makeCurrent(client: Client, deploymentName: string, buildId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: 'default',
        deploymentName,
        buildId,
      });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A visibility query's count, polled until it is `expected` (5 s at most: visibility lags). */
async function countOnceSettled(client: Client, query: string, expected: number) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count === expected || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;

describe('a long sprint while a new build of the workers rolls out', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  /** A worker of one build of the deployment, as on its own machine (own worker id). */
  function versionedConfig(taskQueue: string, deploymentName: string, buildId: string) {
    return loadConfig({
      SPRINTWAVE_HOME: harness.config.home,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SPRINTWAVE_WORKER_ID: `build-${buildId}`,
      SPRINTWAVE_BUILD_ID: buildId,
      SPRINTWAVE_DEPLOYMENT_NAME: deploymentName,
    });
  }

  function workerFor(config: Readonly<Config>): Promise<Worker> {
    return createSprintWorker({
      connection: harness.temporal.nativeConnection,
      client: harness.temporal.client,
      config,
      workflowBundle: { codePath: process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string },
    });
  }

  function start(spec: SprintSpec, taskQueue: string) {
    return harness.temporal.client.workflow.start(sprintWorkflow, {
      workflowId: spec.id,
      taskQueue,
      args: [{ spec, options: { heartbeatTimeoutMs: 5_000, continueAsNewAtEvents: 10 } }],
    });
  }

  /** Three packages one after another; the first waits for the test's gate file. */
  function gatedSprint(gate: string): SprintSpec {
    return sprint(harness.sandbox.repo, {
      concurrency: 1,
      packages: [
        {
          id: 'WP01',
          title: 'waits for the roll-out',
          run: `while [ ! -f ${gate} ]; do sleep 0.1; done; echo one > one.txt`,
        },
        { id: 'WP02', title: 'after it', dependsOn: ['WP01'], run: 'echo two > two.txt' },
        { id: 'WP03', title: 'last', dependsOn: ['WP02'], run: 'echo three > three.txt' },
      ],
    });
  }

  it('reads the deployment version from the environment, and none without a build id', () => {
    const base = { SPRINTWAVE_HOME: harness.config.home };
    expect(loadConfig({ ...base, SPRINTWAVE_BUILD_ID: '7' }).worker.deployment).toEqual({
      deploymentName: 'sprintwave',
      buildId: '7',
    });
    expect(
      loadConfig({ ...base, SPRINTWAVE_BUILD_ID: '', SPRINTWAVE_DEPLOYMENT_NAME: 'x' }).worker
        .deployment,
    ).toBeUndefined();
    expect(() => loadConfig({ ...base, SPRINTWAVE_DEPLOYMENT_NAME: 'a.b' })).toThrow(
      /SPRINTWAVE_DEPLOYMENT_NAME/,
    );
  });

  it('keeps the first run on the old build and continues as new onto the new one', async () => {
    const { client } = harness.temporal;
    const deploymentName = uniqueId('sprintwave');
    const taskQueue = uniqueId('versioned');
    const gate = path.join(harness.sandbox.dir, 'rollout-gate');
    const spec = gatedSprint(gate);
    const v1Config = versionedConfig(taskQueue, deploymentName, '1');
    const v2Config = versionedConfig(taskQueue, deploymentName, '2');
    const v1 = await workerFor(v1Config);

    const { firstRunId, during } = await v1.runUntil(async () => {
      await makeCurrent(client, deploymentName, '1');
      const started = await start(spec, taskQueue);
      const handle = client.workflow.getHandle<typeof sprintWorkflow>(spec.id);
      await waitFor(
        () => handle.query(progressQuery),
        (state) => pkg(state, 'WP01').status === 'in_progress',
        'WP01 to run on build 1',
      );
      const during = await pinnedVersion(client, spec.id, started.firstExecutionRunId);
      const v2 = await workerFor(v2Config);
      await v2.runUntil(async () => {
        await makeCurrent(client, deploymentName, '2');
        await writeFile(gate, '');
        await handle.result();
      });
      return { firstRunId: started.firstExecutionRunId, during };
    });

    // The first run was pinned to build 1 (it may have handed WP01 over already, still on it).
    const { status, ...pinned } = during;
    expect(['RUNNING', 'CONTINUED_AS_NEW']).toContain(status);
    expect(pinned).toEqual({ behavior: PINNED, deploymentName, buildId: '1' });
    const runs = await everyRun(client, spec.id, firstRunId);
    expect(runs.length).toBeGreaterThan(1);
    // The runs started before the roll-out (the first, and one that took WP01 over while it
    // ran) stayed on build 1; every run after it ran on build 2 alone.
    const rolledOut = runs.findIndex((run) => run.builds.some((build) => build !== '1'));
    expect(rolledOut).toBeGreaterThan(0);
    for (const run of runs.slice(0, rolledOut)) {
      expect([run.runId, new Set(run.builds)]).toEqual([run.runId, new Set(['1'])]);
    }
    const later = runs.slice(rolledOut);
    const identity = (config: Readonly<Config>) => `${process.pid}@${config.worker.id}`;
    for (const run of later) {
      expect([run.runId, new Set(run.builds)]).toEqual([run.runId, new Set(['2'])]);
      expect([run.runId, new Set(run.workers)]).toEqual([run.runId, new Set([identity(v2Config)])]);
    }
    const last = later.at(-1) as RunOnVersions;
    expect(await pinnedVersion(client, spec.id, last.runId)).toEqual({
      status: 'COMPLETED',
      behavior: PINNED,
      deploymentName,
      buildId: '2',
    });
    // A package stays on the build it started on, even after the deployment moved on.
    const wp = (id: string) => pinnedVersion(client, packageWorkflowId(spec.id, id));
    expect((await wp('WP01')).buildId).toBe('1');
    expect((await wp('WP03')).buildId).toBe('2');
    // The query docs/versioning.md drains a build with: build 1 ran the runs before the roll-out
    // and the packages they started.
    const packagesOnBuild1 = (
      await Promise.all(['WP01', 'WP02', 'WP03'].map(async (id) => (await wp(id)).buildId))
    ).filter((build) => build === '1').length;
    const onBuild1 = `TemporalWorkerDeploymentVersion = '${deploymentName}:1'`;
    const ofSprint = `${onBuild1} AND WorkflowId STARTS_WITH '${spec.id}'`;
    const expected = rolledOut + packagesOnBuild1;
    expect(await countOnceSettled(client, ofSprint, expected)).toBe(expected);
    const running = `${onBuild1} AND ExecutionStatus = 'Running'`;
    expect(await countOnceSettled(client, running, 0)).toBe(0);
  });

  it('continues as new on unversioned workers as before', async () => {
    const gate = path.join(harness.sandbox.dir, 'unversioned-gate');
    const spec = gatedSprint(gate);
    await writeFile(gate, '');
    const worker = await harness.worker();
    const { firstRunId, state } = await worker.runUntil(async () => {
      const started = await start(spec, harness.taskQueue);
      return { firstRunId: started.firstExecutionRunId, state: await started.result() };
    });
    expect(state.status).toBe('completed');
    const runs = await everyRun(harness.temporal.client, spec.id, firstRunId);
    expect(runs.length).toBeGreaterThan(1);
    expect(new Set(runs.flatMap((run) => run.builds))).toEqual(new Set(['unversioned']));
  });
});
