import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { packageWorkflowId } from '../../src/domain/ids';
import { loadConfig } from '../../src/runtime/config';
import { createSprintWorker } from '../../src/runtime/worker';
import { pkg, sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress } from '../support/temporal';

jest.setTimeout(120_000);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

interface ActivityRun {
  type: string;
  taskQueue: string;
  /** The identity of the worker that took the task. */
  worker: string;
}

/** Every activity of a workflow run that went through a task queue, with the worker that ran it. */
async function activityRuns(harness: Harness, workflowId: string): Promise<ActivityRun[]> {
  const history = await harness.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const events: HistoryEvent[] = history.events ?? [];
  const scheduled = new Map(events.map((event) => [String(event.eventId), event]));
  return events.flatMap((event) => {
    const started = event.activityTaskStartedEventAttributes;
    if (!started) return [];
    const schedule = scheduled.get(
      String(started.scheduledEventId),
    )?.activityTaskScheduledEventAttributes;
    return [
      {
        type: schedule?.activityType?.name ?? '?',
        taskQueue: schedule?.taskQueue?.name ?? '?',
        worker: started.identity ?? '?',
      },
    ];
  });
}

describe('worktree work routed to the worker that holds the worktree', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const connections: NativeConnection[] = [];

  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
  });

  /** A worker as on another machine: its own connection, home and worker id. */
  async function hostWorker(id: string) {
    const config = loadConfig({
      SPRINTWAVE_HOME: path.join(harness.sandbox.dir, `home-${id}`),
      TEMPORAL_TASK_QUEUE: harness.taskQueue,
      SPRINTWAVE_WORKER_ID: id,
    });
    const connection = await NativeConnection.connect({ address: testAddress() });
    connections.push(connection);
    return createSprintWorker({
      connection,
      client: harness.temporal.client,
      config,
      workflowBundle: { codePath: process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string },
    });
  }

  it('runs each package on one worker of two, and the integration on one', async () => {
    const ids = ['alpha', 'beta'];
    const packages = Array.from({ length: 12 }, (_, n) => ({
      id: `WP${String(n + 1).padStart(2, '0')}`,
      title: `package ${n + 1}`,
      dependsOn: n >= 6 ? [`WP${String(n - 5).padStart(2, '0')}`] : [],
      run: 'echo "$SPRINTWAVE_WP_ID" > "$SPRINTWAVE_WP_ID.txt"',
    }));
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 6,
      packages,
      integration: { checks: ['test -f WP12.txt'] },
    });
    const alpha = await hostWorker('alpha');
    const beta = await hostWorker('beta');
    const state = await alpha.runUntil(() =>
      beta.runUntil(async () => {
        const handle = await startSprint(harness, {
          spec,
          options: { heartbeatTimeoutMs: 5_000, routeToHost: true },
        });
        return handle.result();
      }),
    );

    expect(state.status).toBe('completed');
    expect(state.integration.checks).toEqual([expect.objectContaining({ passed: true })]);
    const hosts = new Set<string>();
    for (const wp of spec.packages) {
      const runs = await activityRuns(harness, packageWorkflowId(spec.id, wp.id));
      const worktreeWork = runs.filter((run) => run.type !== 'claimWorkerQueue');
      expect(worktreeWork.map((run) => run.type).sort()).toEqual([
        'commitWork',
        'prepareWorktree',
        'runPackage',
      ]);
      const workers = new Set(worktreeWork.map((run) => run.worker));
      expect(workers.size).toBe(1);
      const host = /@(\w+)$/.exec([...workers][0] ?? '')?.[1] ?? '';
      expect(ids).toContain(host);
      expect(new Set(worktreeWork.map((run) => run.taskQueue))).toEqual(
        new Set([`${harness.taskQueue}@${host}`]),
      );
      expect(pkg(state, wp.id).worktree).toContain(path.join(`home-${host}`, 'worktrees'));
      hosts.add(host);
    }
    expect(hosts).toEqual(new Set(ids));

    const integration = (await activityRuns(harness, spec.id)).filter((run) =>
      ['mergeIntoIntegration', 'runChecks'].includes(run.type),
    );
    expect(integration.map((run) => run.type)).toEqual(['mergeIntoIntegration', 'runChecks']);
    expect(new Set(integration.map((run) => run.worker)).size).toBe(1);
    expect(integration[0]?.taskQueue).toMatch(new RegExp(`^${harness.taskQueue}@(alpha|beta)$`));
  });
});
