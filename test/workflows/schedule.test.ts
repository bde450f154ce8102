import type { Client } from '@temporalio/client';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from '../../src/service/schedules';
import type { ScheduleView } from '../../src/service/schedules';
import type { SprintProgress } from '../../src/domain/progress';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { checkSchedule } from '../../src/schemas/schedule';
import type { ScheduleRequest } from '../../src/schemas/schedule';
import { standupWorkflow } from '../../src/workflows';
import { SPRINT_ID, SPRINT_STATUS } from '../../src/workflows/search-attributes';
import { pkg, runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { uniqueId } from '../support/temporal';

jest.setTimeout(90_000);

const TOKEN = 'ghp_schedule_test_token';

function request(raw: Record<string, unknown>): ScheduleRequest {
  const checked = checkSchedule(raw);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.request;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('schedules and stand-ups on the dev server', () => {
  let harness: Harness;
  let github: LocalGithub;
  let client: Client;

  beforeAll(async () => {
    github = await startLocalGithub({ token: TOKEN });
    harness = await startHarness({ GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN });
    client = harness.temporal.client;
  });

  afterAll(async () => {
    await harness.close();
    await github.close();
  });

  const sprintFile = () => ({
    id: 'nightly',
    repo: harness.sandbox.repo,
    packages: [
      { id: 'WP01', title: 'Write a file', run: 'echo one > one.txt' },
      { id: 'WP02', title: 'Write another', run: 'echo two > two.txt', dependsOn: ['WP01'] },
    ],
  });

  it('runs a sprint when triggered, under the schedule id and the scheduled time', async () => {
    const id = uniqueId('nightly');
    const view = await createSchedule(
      client,
      harness.config,
      request({ id, cron: '0 3 * * 1-5', timeZone: 'Europe/Berlin', sprint: sprintFile() }),
    );
    try {
      expect(view).toMatchObject({
        id,
        kind: 'sprint',
        cron: ['0 3 * * 1-5'],
        timeZone: 'Europe/Berlin',
        overlap: 'skip',
        paused: false,
      });
      expect(view.nextRuns.length).toBeGreaterThan(0);
      // 03:00 in Berlin is 01:00 or 02:00 UTC.
      expect(view.nextRuns.every((at) => /T0[12]:00:00/.test(at))).toBe(true);

      const worker = await harness.worker();
      const state = await worker.runUntil(async () => {
        await triggerSchedule(client, id);
        const run = await until(
          'the triggered run',
          async () => (await describeSchedule(await getSchedule(client, id))).recentRuns[0],
        );
        const launcher = client.workflow.getHandle(run.workflowId);
        return (await launcher.result()) as SprintProgress;
      });
      expect(state.id).toMatch(new RegExp(`^${id}-\\d{8}T\\d{6}Z$`));
      expect(state.status).toBe('completed');
      expect(pkg(state, 'WP02').branch).toBe(`sprintwave/${state.id}/WP02`);
      // The sprint is a workflow of its own, found by its id like any other.
      const sprintRun = await client.workflow.getHandle(state.id).describe();
      expect(sprintRun.type).toBe('sprintWorkflow');
      // Searchable in the Web UI under its own id, its final status recorded.
      expect(sprintRun.typedSearchAttributes.get(SPRINT_ID)).toBe(state.id);
      expect(sprintRun.typedSearchAttributes.get(SPRINT_STATUS)).toBe('completed');
    } finally {
      await deleteSchedule(client, id);
    }
  });

  it('gives each of three simultaneous triggers (allow_all) a sprint of its own', async () => {
    const id = uniqueId('burst');
    await createSchedule(
      client,
      harness.config,
      request({
        id,
        cron: '0 3 * * 1-5',
        overlap: 'allow_all',
        sprint: { ...sprintFile(), packages: [{ id: 'WP01', title: 'Quick', run: 'true' }] },
      }),
    );
    try {
      const worker = await harness.worker();
      const states = await worker.runUntil(async () => {
        await Promise.all([1, 2, 3].map(() => triggerSchedule(client, id)));
        const view = await until('three runs', async () => {
          const described = await describeSchedule(await getSchedule(client, id));
          return described.recentRuns.length >= 3 ? described : undefined;
        });
        return Promise.all(
          view.recentRuns.map(async (run) => ({
            run,
            state: (await client.workflow.getHandle(run.workflowId).result()) as SprintProgress,
          })),
        );
      });
      expect(states).toHaveLength(3);
      expect(new Set(states.map(({ state }) => state.id)).size).toBe(3);
      for (const { run, state } of states) {
        expect(state.status).toBe('completed');
        // The view names the sprint each run started, which `status` takes.
        expect(run.sprintId).toBe(state.id);
        expect(state.id.startsWith(`${id}-`)).toBe(true);
      }
    } finally {
      await deleteSchedule(client, id);
    }
  });

  it('starts nothing while paused, and runs again once unpaused', async () => {
    const id = uniqueId('every');
    await createSchedule(
      client,
      harness.config,
      request({
        id,
        every: '1s',
        paused: true,
        overlap: 'skip',
        sprint: { ...sprintFile(), packages: [{ id: 'WP01', title: 'Quick', run: 'true' }] },
      }),
    );
    try {
      const worker = await harness.worker();
      await worker.runUntil(async () => {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const paused = await describeSchedule(await getSchedule(client, id));
        expect(paused.paused).toBe(true);
        expect(paused.runsTaken).toBe(0);
        expect(paused.recentRuns).toEqual([]);

        await unpauseSchedule(client, id);
        await until('a run after unpausing', async () => {
          const view = await describeSchedule(await getSchedule(client, id));
          return view.runsTaken > 0 ? view : undefined;
        });
        await pauseSchedule(client, id, 'done with the test');
      });
      const listed = (await listSchedules(client)).find((view: ScheduleView) => view.id === id);
      expect(listed).toMatchObject({ paused: true, note: 'done with the test' });
    } finally {
      await deleteSchedule(client, id);
    }
    await expect(getSchedule(client, id)).rejects.toThrow(`No schedule with id ${id}.`);
  });

  it("posts the stand-up of a sprint as that day's own comment, once", async () => {
    const issue = github.createIssue('acme', 'widgets', 'Sprint with stand-ups');
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Works', run: 'echo ok > ok.txt', points: 3 },
        { id: 'WP02', title: 'Breaks', run: 'echo broken >&2; exit 3', points: 2 },
        { id: 'WP03', title: 'Needs the broken one', run: 'true', dependsOn: ['WP02'], points: 5 },
      ],
      github: { repo: 'acme/widgets', issue, minInterval: '200ms' },
    });
    const { state } = await runToEnd(harness, { spec });
    expect(state.status).toBe('failed');

    const worker = await harness.worker();
    const [first, second] = await worker.runUntil(async () => {
      const take = () =>
        client.workflow.execute(standupWorkflow, {
          workflowId: uniqueId('standup'),
          taskQueue: harness.taskQueue,
          args: [{ sprintId: spec.id }],
        });
      return [await take(), await take()];
    });
    expect(first.standup.yesterday.completed.map((item) => item.id)).toEqual(['WP01']);
    expect(first.standup.blockers.map((item) => item.id)).toEqual(['WP02', 'WP03']);
    expect(first.standup.progress).toMatchObject({ pointsDone: 3, pointsTotal: 10 });
    expect(first.markdown).toContain('**Progress**: 3/10 story points completed');
    expect(first.commentUrl).toBeDefined();
    expect(second.commentUrl).toBe(first.commentUrl);
    const standups = github
      .comments('acme', 'widgets', issue)
      .filter((comment) => comment.body.includes('### Date:'));
    expect(standups).toHaveLength(1);
    expect(standups[0]?.body).toContain(
      'WP02 Breaks (`echo broken >&2; exit 3` exited with code 3)',
    );
  });

  it('runs the stand-up from a schedule', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'Only', run: 'true', points: 1 }],
    });
    await runToEnd(harness, { spec });
    const id = uniqueId('standup');
    await createSchedule(
      client,
      harness.config,
      request({ id, cron: '30 9 * * 1-5', standup: { sprint: spec.id } }),
    );
    try {
      const worker = await harness.worker();
      const result = await worker.runUntil(async () => {
        await triggerSchedule(client, id);
        const run = await until(
          'the stand-up run',
          async () => (await describeSchedule(await getSchedule(client, id))).recentRuns[0],
        );
        return client.workflow.getHandle<typeof standupWorkflow>(run.workflowId).result();
      });
      expect(result.markdown).toContain(
        '**Progress**: 1/1 story points completed (1 of 1 packages)',
      );
      expect(result.commentUrl).toBeUndefined();
    } finally {
      await deleteSchedule(client, id);
    }
  });
});
