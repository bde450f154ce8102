import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import type { Harness } from '../support/sprint-harness';
import { startApiHarness } from '../support/api-harness';
import type { ApiHarness } from '../support/api-harness';
import { uniqueId } from '../support/temporal';

jest.setTimeout(60_000);

/** A run's launcher starts its sprint a moment after the trigger is taken: wait for it. */
async function resultOnceStarted(client: Client, sprintId: string): Promise<unknown> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await client.workflow.getHandle(sprintId).result();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('/schedules over HTTP', () => {
  let api: ApiHarness;
  let harness: Harness;
  let app: FastifyInstance;

  beforeAll(async () => {
    api = await startApiHarness();
    ({ harness, app } = api);
  });

  afterAll(() => api.close());

  const sprintFile = () => ({
    id: 'nightly',
    repo: harness.sandbox.repo,
    packages: [{ id: 'WP01', title: 'Write', run: 'echo hi > hi.txt' }],
  });

  it('rejects a bad cron expression or time zone with every problem, and creates nothing', async () => {
    const id = uniqueId('bad');
    const response = await app.inject({
      method: 'POST',
      url: '/schedules',
      payload: { id, cron: '0 25 * * *', timeZone: 'Atlantis/Capital', sprint: sprintFile() },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe('Invalid schedule');
    expect(body.issues.map((issue: { path: string }) => issue.path)).toEqual(['timeZone', 'cron']);
    expect(body.issues[1].message).toMatch(/^"0 25 \* \* \*" is not a cron expression/);
    const missing = await app.inject({ method: 'GET', url: `/schedules/${id}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: `No schedule with id ${id}.` });
  });

  it('rejects a sprint file whose repository does not exist, with the path under sprint', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/schedules',
      payload: {
        id: uniqueId('norepo'),
        every: '1h',
        sprint: { ...sprintFile(), repo: '/nowhere/at/all' },
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().issues).toEqual([
      { path: 'sprint.repo', message: '/nowhere/at/all does not exist' },
    ]);
  });

  it('keeps scheduled sprints to SPRINTWAVE_ALLOWED_COMMANDS', async () => {
    const strict = await buildApp({
      client: harness.temporal.client,
      config: { ...harness.config, allowedCommands: ['npm'] },
    });
    try {
      const id = uniqueId('strict');
      const response = await strict.inject({
        method: 'POST',
        url: '/schedules',
        payload: { id, every: '1h', sprint: sprintFile() },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().issues).toEqual([
        { path: 'sprint.packages[0].run', message: expect.stringContaining('echo') },
      ]);
      expect((await strict.inject({ method: 'GET', url: `/schedules/${id}` })).statusCode).toBe(
        404,
      );
    } finally {
      await strict.close();
    }
  });

  it('refuses a stand-up of a sprint that does not exist, naming it, and creates nothing', async () => {
    const id = uniqueId('standup');
    const response = await app.inject({
      method: 'POST',
      url: '/schedules',
      payload: { id, cron: '30 9 * * 1-5', standup: { sprint: 'no-such-sprint' } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'Invalid schedule',
      issues: [{ path: 'standup.sprint', message: 'there is no sprint no-such-sprint' }],
    });
    expect((await app.inject({ method: 'GET', url: `/schedules/${id}` })).statusCode).toBe(404);
  });

  it('starts a run, each with its own sprint, for each of three simultaneous triggers (allow_all)', async () => {
    const id = uniqueId('api-burst');
    const created = await app.inject({
      method: 'POST',
      url: '/schedules',
      payload: { id, cron: '0 2 * * 1-5', overlap: 'allow_all', sprint: sprintFile() },
    });
    expect(created.statusCode).toBe(201);
    try {
      const triggers = await Promise.all(
        [1, 2, 3].map(() => app.inject({ method: 'POST', url: `/schedules/${id}/trigger` })),
      );
      expect(triggers.map((reply) => reply.statusCode)).toEqual([200, 200, 200]);
      const view = (await app.inject({ method: 'GET', url: `/schedules/${id}` })).json();
      expect(view.runsTaken).toBe(3);
      const sprintIds = view.recentRuns.map((run: { sprintId: string }) => run.sprintId);
      expect(new Set(sprintIds).size).toBe(3);
      for (const sprintId of sprintIds) {
        const result = await resultOnceStarted(harness.temporal.client, sprintId);
        expect(result).toMatchObject({ id: sprintId, status: 'completed' });
      }
    } finally {
      await app.inject({ method: 'DELETE', url: `/schedules/${id}` });
    }
  });

  it('creates, lists, describes, triggers, pauses, unpauses and deletes a schedule', async () => {
    const id = uniqueId('api-nightly');
    const created = await app.inject({
      method: 'POST',
      url: '/schedules',
      payload: { id, cron: ['0 2 * * 1-5'], timeZone: 'America/New_York', sprint: sprintFile() },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(`/schedules/${id}`);
    expect(created.json()).toMatchObject({
      id,
      kind: 'sprint',
      cron: ['0 2 * * 1-5'],
      timeZone: 'America/New_York',
      paused: false,
      runsTaken: 0,
    });

    const again = await app.inject({
      method: 'POST',
      url: '/schedules',
      payload: { id, every: '1h', sprint: sprintFile() },
    });
    expect(again.statusCode).toBe(409);

    const listed = await app.inject({ method: 'GET', url: '/schedules' });
    expect(listed.json().schedules.map((view: { id: string }) => view.id)).toContain(id);

    const triggered = await app.inject({ method: 'POST', url: `/schedules/${id}/trigger` });
    expect(triggered.statusCode).toBe(200);
    let runs: Array<{ workflowId: string; sprintId?: string }> = [];
    for (let i = 0; i < 60 && !runs.length; i++) {
      runs = (await app.inject({ method: 'GET', url: `/schedules/${id}` })).json().recentRuns;
      if (!runs.length) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(runs).toHaveLength(1);
    const result = await harness.temporal.client.workflow
      .getHandle(runs[0]?.workflowId as string)
      .result();
    expect(result).toMatchObject({ status: 'completed' });
    const sprintId = (result as { id: string }).id;
    // The recent run names its sprint, which GET /sprints/:id takes (its workflow id is not it).
    expect(runs[0]?.sprintId).toBe(sprintId);
    expect(runs[0]?.workflowId).not.toBe(sprintId);
    const status = await app.inject({ method: 'GET', url: `/sprints/${sprintId}` });
    expect(status.statusCode).toBe(200);
    expect(status.json().status).toBe('completed');

    const paused = await app.inject({
      method: 'POST',
      url: `/schedules/${id}/pause`,
      payload: { note: 'holidays' },
    });
    expect(paused.json()).toMatchObject({ paused: true, note: 'holidays' });
    const unpaused = await app.inject({ method: 'POST', url: `/schedules/${id}/unpause` });
    expect(unpaused.json()).toMatchObject({ paused: false });

    const deleted = await app.inject({ method: 'DELETE', url: `/schedules/${id}` });
    expect(deleted.statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/schedules/${id}` })).statusCode).toBe(404);
  });
});
