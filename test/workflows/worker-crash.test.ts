import { queryLiveState } from '../../src/runtime/live-progress';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cancelSprintSignal } from '../../src/workflows/messages';
import { outboxWorkflowId } from '../../src/domain/ids';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import type { SprintProgress } from '../../src/domain/progress';
import { collect, spawnCli } from '../support/cli';
import { checkStream, sprintDelivery, startEventReceiver } from '../support/event-receiver';
import type { EventReceiver } from '../support/event-receiver';
import { fixtureGit } from '../support/git-fixtures';
import { pkg, sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress } from '../support/temporal';

jest.setTimeout(120_000);

const TOKEN = 'ghp_crashtest000';
const SYNC_TOKEN = 'sync_crashtest000';

function startWorkerProcess(harness: Harness, github: LocalGithub, receiver: EventReceiver) {
  const child = spawnCli(['worker'], {
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_TASK_QUEUE: harness.taskQueue,
    SPRINTWAVE_HOME: harness.config.home,
    GITHUB_API_URL: github.url,
    GITHUB_TOKEN: TOKEN,
    SPRINTWAVE_EVENTS_URL: receiver.url,
    SPRINTWAVE_SYNC_TOKEN: SYNC_TOKEN,
  });
  return { child, done: collect(child) };
}

/**
 * Why each retried activity of the sprint failed its attempt before: running ones from the
 * description, finished ones from the history (its started event keeps the last failure).
 */
async function retriedActivities(
  handle: WorkflowHandle,
): Promise<Array<number | null | undefined>> {
  const { pendingActivities } = (await handle.describe()).raw;
  const { events } = await handle.fetchHistory();
  return [
    ...(pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 1),
    ...(events ?? [])
      .map((event) => event.activityTaskStartedEventAttributes)
      .filter((started) => (started?.attempt ?? 1) > 1),
  ].map((retry) => retry?.lastFailure?.timeoutFailureInfo?.timeoutType);
}

async function waitForState(
  harness: Harness,
  id: string,
  test: (s: SprintProgress) => boolean,
): Promise<SprintProgress> {
  const handle = harness.temporal.client.workflow.getHandle(id);
  const deadline = Date.now() + 60_000;
  for (;;) {
    // As the CLI reads it: running packages' progress comes from the packages themselves.
    const state = await queryLiveState(handle).catch(() => undefined);
    if (state && test(state)) return state;
    if (Date.now() > deadline)
      throw new Error(
        `sprint did not reach the expected state: ${JSON.stringify(state?.packages)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a worker killed mid-sprint', () => {
  let harness: Harness;
  let github: LocalGithub;
  let receiver: EventReceiver;

  beforeAll(async () => {
    harness = await startHarness();
    github = await startLocalGithub({ token: TOKEN });
    receiver = await startEventReceiver(SYNC_TOKEN);
  });

  afterAll(async () => {
    await harness.close();
    await github.close();
    await receiver.close();
  });

  it('is replaced by a second worker that finishes the sprint: each package committed once, one progress comment, each event once', async () => {
    const issue = github.createIssue('acme', 'widgets', 'Crash');
    const ids = ['WP01', 'WP02', 'WP03', 'WP04', 'WP05', 'WP06'];
    const spec = sprint(harness.sandbox.repo, {
      strategy: 'eager',
      concurrency: 3,
      packages: ids.map((id, i) => ({
        id,
        title: `Package ${id}`,
        dependsOn: i >= 3 ? [ids[i - 3]] : [],
        run: `echo "::progress 0/1"; sleep 1.5; echo ${id} > ${id}.txt; echo "::progress 1/1"`,
      })),
      github: { repo: 'acme/widgets', issue, minInterval: '300ms' },
    });
    const first = startWorkerProcess(harness, github, receiver);
    const handle = await startSprint(harness, { spec, options: { heartbeatTimeoutMs: 3_000 } });
    await waitForState(harness, spec.id, (s) =>
      s.packages.some((wp) => wp.status === 'in_progress' && wp.filesTotal > 0),
    );
    first.child.kill('SIGKILL');
    await first.done;

    const second = startWorkerProcess(harness, github, receiver);
    try {
      const state = await handle.result();
      expect(state.status).toBe('completed');
      expect(state.packages.every((wp) => wp.status === 'completed')).toBe(true);
      const git = fixtureGit(harness.sandbox.repo);
      for (const id of ids) {
        const commits = await git.raw([
          'log',
          '--no-merges',
          '--format=%s',
          `main..${pkg(state, id).branch}`,
        ]);
        const own = commits
          .split('\n')
          .filter((subject) => subject === `sprintwave: ${id} Package ${id}`);
        expect(own).toHaveLength(1);
      }
      const tree = await git.raw(['ls-tree', '--name-only', state.integration.branch]);
      for (const id of ids) expect(tree).toContain(`${id}.txt`);
      await harness.temporal.client.workflow.getHandle(outboxWorkflowId(spec.id)).result();
      const comments = github.comments('acme', 'widgets', issue);
      expect(comments).toHaveLength(2);
      expect(comments[0]?.body).toContain('**Overall:** 100%');
      expect(comments[1]?.body).toContain('Final Summary: sprint completed');

      // As a backend honouring Idempotency-Key takes them: a batch whose answer the killed
      // worker never saw comes again under its key, and is not taken twice.
      const events = sprintDelivery(receiver, spec.id).delivered;
      expect(events.at(-1)?.event_type).toBe('SprintCompleted');
      expect(checkStream(events)).toEqual({ duplicates: 0, gaps: [] });
      for (const id of ids) {
        const changes = events.filter((e) => e.event_type === 'WPStatusChanged' && e.wp_id === id);
        expect(changes.map((e) => `${String(e.payload.from)}→${String(e.payload.to)}`)).toEqual([
          'pending→in_progress',
          'in_progress→completed',
        ]);
      }
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
    }
  });

  it('hands a GitHub write held by the killed worker to the next one by its heartbeat timeout', async () => {
    const issue = github.createIssue('acme', 'widgets', 'Held write');
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        {
          id: 'WP01',
          title: 'Long',
          run: 'echo "::progress 0/2"; sleep 1; echo "::progress 1/2"; sleep 60',
        },
      ],
      github: { repo: 'acme/widgets', issue, minInterval: '300ms' },
    });
    const commentUpdate = { method: 'PATCH', path: /\/issues\/comments\/\d+$/ };
    github.fail({ match: commentUpdate, delayMs: 120_000, times: 1 }); // the first update hangs
    const earlier = github.requests.length;
    const updates = () =>
      github.requests
        .slice(earlier)
        .filter((r) => r.method === 'PATCH' && commentUpdate.path.test(r.path));
    const until = async (
      done: () => boolean,
      ms: number,
      refresh: () => Promise<void> = async () => undefined,
    ): Promise<void> => {
      const deadline = Date.now() + ms;
      await refresh();
      while (!done() && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        await refresh();
      }
    };

    let worker = startWorkerProcess(harness, github, receiver);
    const handle = await startSprint(harness, { spec, options: { heartbeatTimeoutMs: 3_000 } });
    try {
      await until(() => updates().length > 0, 30_000);
      expect(updates()).toHaveLength(1); // in flight on the first worker, held by the server
      worker.child.kill('SIGKILL');
      await worker.done;
      worker = startWorkerProcess(harness, github, receiver);

      // Without a heartbeat timeout, the write would stay with the killed worker for good.
      await until(() => updates().length > 1, 80_000);
      expect(updates().length).toBeGreaterThan(1);
      let retried: Array<number | null | undefined> = [];
      await until(
        () => retried.length > 0,
        30_000,
        async () => {
          retried = await retriedActivities(handle);
        },
      );
      expect(retried).toEqual(
        retried.map(() => temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT),
      );
    } finally {
      await handle.signal(cancelSprintSignal);
      await handle.result();
      worker.child.kill('SIGKILL');
      await worker.done;
    }
  });
});
