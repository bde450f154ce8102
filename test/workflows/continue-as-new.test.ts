import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listSprints } from '../../src/service/sprints';
import type { EventEnvelope } from '../../src/domain/events';
import type { SprintProgress } from '../../src/domain/progress';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { sprintWorkflow } from '../../src/workflows';
import { progressQuery, retryPackageUpdate } from '../../src/workflows/messages';
import { outboxWorkflowId } from '../../src/domain/ids';
import type { SprintWorkflowInput } from '../../src/workflows';
import { SPRINT_ID, SPRINT_STATUS } from '../../src/workflows/search-attributes';
import { runHistories } from '../../bench/history';
import { checkStream, startEventReceiver } from '../support/event-receiver';
import type { EventReceiver } from '../support/event-receiver';
import { pkg, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(180_000);

const GITHUB_TOKEN = 'ghp_continueasnew1234567890';
const SYNC_TOKEN = 'sync_continue_as_new_token';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function statusChanges(events: EventEnvelope[], wp: string): string[] {
  return [...events]
    .sort((a, b) => a.sequence - b.sequence)
    .filter((e) => e.event_type === 'WPStatusChanged' && e.wp_id === wp)
    .map((e) => `${String(e.payload.from)}→${String(e.payload.to)}#${e.attempt}`);
}

/** Starts a sprint on the harness's queue; the handle knows the first run, to walk the runs from. */
function startSprint(harness: Harness, input: SprintWorkflowInput) {
  return harness.temporal.client.workflow.start(sprintWorkflow, {
    workflowId: input.spec.id,
    taskQueue: harness.taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: SPRINT_ID, value: input.spec.id },
      { key: SPRINT_STATUS, value: 'running' },
    ],
  });
}

/** `waves` waves of `width`, each package needing the same slot of the wave before. */
function layered(waves: number, width: number, run: string) {
  return Array.from({ length: waves * width }, (_, n) => {
    const wave = Math.floor(n / width);
    const slot = n % width;
    return {
      id: `W${wave}-${slot}`,
      title: `wave ${wave} slot ${slot}`,
      dependsOn: wave > 0 ? [`W${wave - 1}-${slot}`] : [],
      run,
    };
  });
}

describe('a sprint that continues as new', () => {
  let github: LocalGithub;
  let receiver: EventReceiver;
  let harness: Harness;

  beforeAll(async () => {
    github = await startLocalGithub({ token: GITHUB_TOKEN });
    receiver = await startEventReceiver(SYNC_TOKEN);
    harness = await startHarness({
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN,
      SPRINTWAVE_EVENTS_URL: receiver.url,
      SPRINTWAVE_SYNC_TOKEN: SYNC_TOKEN,
    });
  });

  afterAll(async () => {
    await harness?.close();
    await receiver?.close();
    await github?.close();
  });

  /** A running sprint's earlier runs, once visible as continued, do not list it as ended. */
  async function expectNotListedAsEnded(sprintId: string): Promise<void> {
    const client = harness.temporal.client;
    await waitFor('a run that continued as new, in visibility', async () => {
      const query = `WorkflowId = '${sprintId}' AND ExecutionStatus = 'ContinuedAsNew'`;
      const { count } = await client.workflow.count(query);
      return count > 0 ? true : undefined;
    });
    for (const status of ['completed', 'failed', 'cancelled'] as const) {
      const listed = await listSprints(client, harness.config, status);
      expect(listed.filter((sprint) => sprint.id === sprintId)).toEqual([]);
    }
  }

  it('carries its progress, events, comment and retries across runs', async () => {
    const dir = harness.sandbox.dir;
    const gate = path.join(dir, 'gate');
    const failedOnce = path.join(dir, 'failed-once');
    const issue = github.createIssue('acme', 'widgets', 'Sprint');
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 3,
      packages: [
        ...layered(3, 5, 'echo "$SPRINTWAVE_WP_ID" > "$SPRINTWAVE_WP_ID.txt"'),
        // Fails on its first attempt only: retried by an update once the sprint has continued.
        {
          id: 'FLAKY',
          title: 'fails once',
          run: `test -f ${failedOnce} || { touch ${failedOnce}; exit 1; }; echo ok > flaky.txt`,
        },
        // Holds the last wave open until the test has sent its retry.
        {
          id: 'GATE',
          title: 'waits for the test',
          dependsOn: ['W2-0'],
          run: `while [ ! -f ${gate} ]; do sleep 0.1; done; echo open > gate.txt`,
        },
      ],
      github: { repo: 'acme/widgets', issue, minInterval: '200ms' },
    });
    const worker = await harness.worker();
    const { state, firstRunId, retried } = await worker.runUntil(async () => {
      const started = await startSprint(harness, {
        spec,
        options: { heartbeatTimeoutMs: 5_000, continueAsNewAtEvents: 40 },
      });
      const handle = harness.temporal.client.workflow.getHandle<typeof sprintWorkflow>(spec.id);
      await waitFor('the gate package to run in a later run', async () => {
        const live = await handle.query(progressQuery);
        const description = await handle.describe();
        const later = description.runId !== started.firstExecutionRunId;
        return later && pkg(live, 'GATE').status === 'in_progress' ? live : undefined;
      });
      await expectNotListedAsEnded(spec.id);
      const retried: SprintProgress = await handle.executeUpdate(retryPackageUpdate, {
        args: ['FLAKY'],
      });
      await writeFile(gate, '');
      const final = await handle.result();
      await harness.temporal.client.workflow.getHandle(outboxWorkflowId(spec.id)).result();
      return { state: final, firstRunId: started.firstExecutionRunId, retried };
    });

    expect(pkg(retried, 'FLAKY')).toMatchObject({ status: 'pending', attempt: 2 });
    expect(state.status).toBe('completed');
    expect(state.packages.every((wp) => wp.status === 'completed')).toBe(true);
    expect(state.integration.merged).toHaveLength(spec.packages.length);
    expect(state.owner).toBe(firstRunId);

    const runs = await runHistories(harness.temporal.client, spec.id, firstRunId);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    // The last run kept the search attributes it was started with, and set the final status.
    const last = await harness.temporal.client.workflow.getHandle(spec.id).describe();
    expect(last.runId).toBe(runs.at(-1)?.runId);
    expect(last.typedSearchAttributes.get(SPRINT_STATUS)).toBe('completed');
    const comments = github.comments('acme', 'widgets', issue);
    const progress = comments.filter((c) => c.body?.includes('kind=progress'));
    expect(progress).toHaveLength(1);
    expect(progress[0]?.body).toContain('| FLAKY |');
    expect(comments.filter((c) => c.body?.includes('kind=summary'))).toHaveLength(1);

    const events = await waitFor('the last event at the receiver', async () => {
      const mine = receiver.received.filter((e) => e.sprint_id === spec.id);
      return mine.some((e) => e.event_type === 'SprintCompleted') ? mine : undefined;
    });
    expect(checkStream(events)).toEqual({ duplicates: 0, gaps: [] });
    expect(events.filter((e) => e.event_type === 'SprintStarted')).toHaveLength(1);
    expect(new Set(events.map((e) => e.event_id.split(':')[1])).size).toBeGreaterThan(1);
    expect(statusChanges(events, 'FLAKY')).toEqual([
      'pending→in_progress#1',
      'in_progress→failed#1',
      'failed→pending#2',
      'pending→in_progress#2',
      'in_progress→completed#2',
    ]);
  });

  it('runs 200 packages ten at a time, every run of its history within bounds', async () => {
    const eventLimit = 600;
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 10,
      packages: layered(10, 20, 'true'),
    });
    const worker = await harness.worker();
    const { state, firstRunId } = await worker.runUntil(async () => {
      const handle = await startSprint(harness, {
        spec,
        options: { heartbeatTimeoutMs: 5_000, continueAsNewAtEvents: eventLimit },
      });
      return { state: await handle.result(), firstRunId: handle.firstExecutionRunId };
    });

    expect(state.status).toBe('completed');
    expect(state.integration.merged).toHaveLength(200);
    // In workflow time: how many packages were in progress when each one started.
    const inProgressAt = (at: number) =>
      state.packages.filter(
        (wp) => (wp.startedAt as number) <= at && at < (wp.finishedAt ?? Infinity),
      ).length;
    expect(Math.max(...state.packages.map((wp) => inProgressAt(wp.startedAt as number)))).toBe(10);
    const runs = await runHistories(harness.temporal.client, spec.id, firstRunId);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) {
      // The limit, plus what the packages still running add while the run drains.
      expect(run.events).toBeLessThan(eventLimit + 200);
      expect(run.bytes).toBeLessThan(1024 * 1024);
    }
  });
});
