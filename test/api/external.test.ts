import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../src/api/app';
import { packageWorkflowId } from '../../src/domain/ids';
import { fixtureGit } from '../support/git-fixtures';
import { uniqueId } from '../support/temporal';
import { startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(90_000);

interface Reply {
  statusCode: number;
  body: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type History = temporal.api.history.v1.IHistory;

const count = (history: History, attribute: keyof temporal.api.history.v1.IHistoryEvent) =>
  (history.events ?? []).filter((event) => event[attribute]).length;

describe('an external package driven over HTTP, on a real dev server and real git', () => {
  let harness: Harness;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;

  async function call(options: InjectOptions): Promise<Reply> {
    return (await app.inject(options)) as unknown as Reply;
  }

  const post = (url: string, payload?: object) => call({ method: 'POST', url, payload });

  async function until(
    id: string,
    test: (status: any) => boolean, // eslint-disable-line @typescript-eslint/no-explicit-any
    what: string,
  ) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await call({ method: 'GET', url: `/sprints/${id}` });
      if (response.statusCode === 200 && test(response.json())) return response.json();
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${response.body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const wp = (status: { packages: Array<{ id: string }> }, id: string) =>
    status.packages.find((p) => p.id === id) as Record<string, unknown>;

  beforeAll(async () => {
    harness = await startHarness();
    // The chatty agent below sends more than the default 600 requests a minute.
    app = await buildApp({
      client: harness.temporal.client,
      config: harness.config,
      rateLimit: 10_000,
    });
    worker = await harness.worker();
    running = worker.run();
  });

  afterAll(async () => {
    worker.shutdown();
    await running;
    await app.close();
    await harness.close();
  });

  it("ticks off an external package's checklist over HTTP, also when reports are coalesced", async () => {
    const id = uniqueId('tasks');
    const started = await post('/sprints', {
      id,
      repo: harness.sandbox.repo,
      packages: [
        {
          id: 'WP01',
          title: 'Checklist',
          external: true,
          tasks: [
            { id: 'T001', title: 'One' },
            { id: 'T002', title: 'Two' },
            { id: 'T003', title: 'Three' },
          ],
        },
      ],
    });
    expect(started.statusCode).toBe(201);
    await until(id, (s) => Boolean(wp(s, 'WP01').worktree), 'WP01 worktree');
    const url = `/sprints/${id}/packages/WP01/progress`;
    // Three reports within one coalescing interval: only the last is sent, with every tick.
    const replies = await Promise.all([
      post(url, { filesCompleted: 0, filesTotal: 0, tasksDone: ['T001'] }),
      post(url, { filesCompleted: 0, filesTotal: 0, tasksDone: ['T003'] }),
      post(url, { filesCompleted: 0, filesTotal: 0 }),
    ]);
    expect(replies.map((reply) => reply.statusCode)).toEqual([202, 202, 202]);
    const bad = await post(url, { filesCompleted: 0, filesTotal: 0, tasksDone: [''] });
    expect([bad.statusCode, bad.json().issues?.[0]?.path]).toEqual([400, 'tasksDone[0]']);
    // A task the package does not have is refused, not silently dropped.
    const unknown = await post(url, { filesCompleted: 0, filesTotal: 0, tasksDone: ['T009'] });
    expect([unknown.statusCode, unknown.json().error]).toEqual([
      400,
      'tasksDone names "T009", which is not a task of WP01 (its tasks: T001, T002, T003)',
    ]);
    const ticked = await until(
      id,
      (s) =>
        (wp(s, 'WP01').tasks as Array<{ done: boolean }> | undefined)?.filter((t) => t.done)
          .length === 2,
      'two tasks done',
    );
    expect(wp(ticked, 'WP01').tasks).toEqual([
      { id: 'T001', done: true },
      { id: 'T002', done: false },
      { id: 'T003', done: true },
    ]);
    const report = await call({ method: 'GET', url: `/sprints/${id}/report` });
    expect(report.body).toContain('(2/3 tasks)');
    expect((await post(`/sprints/${id}/cancel`)).statusCode).toBe(202);
  });

  it("shows the name a reporter gives as the package's agent, in the status and the progress table", async () => {
    const id = uniqueId('reporter');
    const started = await post('/sprints', {
      id,
      repo: harness.sandbox.repo,
      packages: [
        { id: 'WP01', title: 'Reported by a person', external: true },
        { id: 'WP02', title: 'Reported by nobody named', external: true },
      ],
    });
    expect(started.statusCode).toBe(201);
    await until(
      id,
      (s) => Boolean(wp(s, 'WP01').worktree) && Boolean(wp(s, 'WP02').worktree),
      'both worktrees',
    );
    expect(wp((await call({ method: 'GET', url: `/sprints/${id}` })).json(), 'WP01').agent).toBe(
      'external',
    );
    const base = `/sprints/${id}/packages`;
    const bad = await post(`${base}/WP01/progress`, {
      filesCompleted: 0,
      filesTotal: 1,
      by: 'alice | bob',
    });
    expect([bad.statusCode, bad.json().issues?.[0]?.path]).toEqual([400, 'by']);
    const progress = await post(`${base}/WP01/progress`, {
      filesCompleted: 0,
      filesTotal: 1,
      by: ' alice.dev ',
    });
    expect(progress.statusCode).toBe(202);
    await until(id, (s) => wp(s, 'WP01').agent === 'alice.dev', 'the reporter as agent');
    // A completion with a name, and no progress before it, names the reporter too.
    expect((await post(`${base}/WP02/complete`, { by: 'codex-desktop' })).statusCode).toBe(202);
    expect((await post(`${base}/WP01/complete`, {})).statusCode).toBe(202);
    const done = await until(id, (s) => s.status === 'completed', 'the sprint to complete');
    expect([wp(done, 'WP01').agent, wp(done, 'WP02').agent]).toEqual([
      'alice.dev',
      'codex-desktop',
    ]);
    const report = await call({ method: 'GET', url: `/sprints/${id}/report` });
    expect(report.body).toMatch(/\| WP01 \| alice\.dev \|/);
    expect(report.body).toMatch(/\| WP02 \| codex-desktop \|/);
  });

  it('gives the agent its worktree, takes its progress, failure and completion, and commits its files', async () => {
    const id = uniqueId('external');
    const started = await post('/sprints', {
      id,
      repo: harness.sandbox.repo,
      packages: [
        { id: 'WP01', title: 'Feature', external: true },
        { id: 'WP02', title: 'Uses it', dependsOn: ['WP01'], external: true },
      ],
    });
    expect(started.statusCode).toBe(201);
    const base = `/sprints/${id}/packages`;

    const early = await post(`${base}/WP02/progress`, { filesCompleted: 0, filesTotal: 1 });
    expect([early.statusCode, early.json().error]).toEqual([
      409,
      'WP02 is not in progress (it is pending)',
    ]);

    const ready = await until(id, (s) => Boolean(wp(s, 'WP01').worktree), 'WP01 worktree');
    expect(wp(ready, 'WP01')).toMatchObject({
      status: 'in_progress',
      attempt: 1,
      branch: `sprintwave/${id}/WP01`,
      worktree: path.join(harness.config.worktreeRoot, id, 'WP01'),
    });
    expect(existsSync(wp(ready, 'WP01').worktree as string)).toBe(true);

    for (const [body, field] of [
      [{ filesCompleted: 3, filesTotal: 2 }, 'filesCompleted'],
      [{ filesCompleted: -1, filesTotal: 2 }, 'filesCompleted'],
      [{ filesCompleted: 1 }, 'filesTotal'],
      [{ filesCompleted: 1, filesTotal: 2, attempt: 0 }, 'attempt'],
    ] as const) {
      const bad = await post(`${base}/WP01/progress`, body);
      expect([bad.statusCode, bad.json().issues?.[0]?.path]).toEqual([400, field]);
    }
    const unknown = await post(`${base}/WP01/progress`, {
      filesCompleted: 1,
      filesTotal: 2,
      done: 1,
    });
    expect([unknown.statusCode, unknown.json().issues?.[0]?.message]).toEqual([
      400,
      expect.stringContaining('"done"'),
    ]);
    const noError = await post(`${base}/WP01/fail`, { error: ' ' });
    expect([noError.statusCode, noError.json().issues?.[0]?.path]).toEqual([400, 'error']);
    const noSprint = await post(`/sprints/no-such-sprint/packages/WP01/complete`, {});
    expect(noSprint.statusCode).toBe(404);
    const noPackage = await post(`${base}/WP09/complete`, {});
    expect([noPackage.statusCode, noPackage.json().error]).toEqual([
      404,
      `WP09 is not a package of sprint ${id}.`,
    ]);

    const failed = await post(`${base}/WP01/fail`, { error: 'wrong approach', attempt: 1 });
    expect([failed.statusCode, failed.json()]).toEqual([
      202,
      { id: 'WP01', status: 'failed', attempt: 1, filesCompleted: 0, filesTotal: 0 },
    ]);
    const ended = await until(id, (s) => s.status === 'failed', 'the sprint to fail');
    expect(wp(ended, 'WP01')).toMatchObject({ status: 'failed', error: 'wrong approach' });
    const afterFail = await post(`${base}/WP01/complete`, {});
    expect([afterFail.statusCode, afterFail.json().error]).toEqual([409, 'WP01 already failed']);

    expect((await post(`${base}/WP01/retry`)).statusCode).toBe(202);
    const again = await until(
      id,
      (s) => wp(s, 'WP01').attempt === 2 && wp(s, 'WP01').status === 'in_progress',
      'WP01 attempt 2',
    );
    const worktree = wp(again, 'WP01').worktree as string;
    await writeFile(path.join(worktree, 'feature.txt'), 'the feature\n');

    let progress: Reply;
    for (let tries = 0; ; tries++) {
      // Attempt 2 takes reports once its worktree is ready again.
      progress = await post(`${base}/WP01/progress`, {
        filesCompleted: 1,
        filesTotal: 1,
        note: 'feature written',
        attempt: 2,
      });
      if (progress.statusCode !== 409 || tries > 50) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([progress.statusCode, progress.json()]).toEqual([
      202,
      { id: 'WP01', status: 'in_progress', attempt: 2, filesCompleted: 1, filesTotal: 1 },
    ]);
    const stale = await post(`${base}/WP01/progress`, {
      filesCompleted: 1,
      filesTotal: 1,
      attempt: 1,
    });
    expect([stale.statusCode, stale.json().error]).toEqual([
      409,
      'attempt 1 is stale: the package is on attempt 2',
    ]);
    const shown = await until(
      id,
      (s) => wp(s, 'WP01').note === 'feature written',
      'the progress in the status JSON',
    );
    expect(wp(shown, 'WP01')).toMatchObject({ filesCompleted: 1, filesTotal: 1 });

    const done = await post(`${base}/WP01/complete`, { summary: 'feature done', attempt: 2 });
    expect([done.statusCode, done.json()]).toMatchObject([
      202,
      { id: 'WP01', status: 'completed' },
    ]);
    const twice = await post(`${base}/WP01/complete`, { attempt: 2 });
    expect([twice.statusCode, twice.json().error]).toEqual([409, 'WP01 already completed']);

    const second = await until(id, (s) => Boolean(wp(s, 'WP02').worktree), 'WP02 worktree');
    const upstream = path.join(wp(second, 'WP02').worktree as string, 'feature.txt');
    expect(await readFile(upstream, 'utf8')).toBe('the feature\n');
    // No body at all: an agent may just say it is done.
    const bare = await call({ method: 'POST', url: `${base}/WP02/complete` });
    expect(bare.statusCode).toBe(202);

    const final = await until(id, (s) => s.status !== 'running', 'the sprint to end');
    expect(final).toMatchObject({ status: 'completed', integration: { merged: ['WP01', 'WP02'] } });
    expect(wp(final, 'WP01')).toMatchObject({
      status: 'completed',
      attempt: 2,
      note: 'feature done',
    });
    const files = await fixtureGit(harness.sandbox.repo).raw([
      'show',
      '--name-only',
      '--format=',
      wp(final, 'WP01').commit as string,
    ]);
    expect(files.trim().split('\n')).toEqual(['feature.txt']);
  });

  it('coalesces a chatty agent: 1,000 reports over 10 s cost each history a bounded number of events', async () => {
    const id = uniqueId('chatty');
    expect(
      (
        await post('/sprints', {
          id,
          repo: harness.sandbox.repo,
          packages: [{ id: 'WP01', title: 'Chatty', external: true }],
        })
      ).statusCode,
    ).toBe(201);
    await until(id, (s) => Boolean(wp(s, 'WP01').worktree), 'WP01 worktree');
    const client = harness.temporal.client;
    const sprint = client.workflow.getHandle(id);
    const child = client.workflow.getHandle(packageWorkflowId(id, 'WP01'));
    const before = { sprint: await sprint.fetchHistory(), child: await child.fetchHistory() };

    // 100 batches of 10 concurrent reports, one batch every 100 ms; a batch reports its number.
    const startedAt = Date.now();
    const replies: Promise<Reply>[] = [];
    for (let batch = 1; batch <= 100; batch++) {
      const due = startedAt + batch * 100 - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      for (let i = 0; i < 10; i++) {
        replies.push(
          post(`/sprints/${id}/packages/WP01/progress`, { filesCompleted: batch, filesTotal: 100 }),
        );
      }
    }
    const codes = (await Promise.all(replies)).map((reply) => reply.statusCode);
    const seconds = (Date.now() - startedAt) / 1_000;
    expect(codes.filter((code) => code === 202)).toHaveLength(1_000);
    await until(id, (s) => wp(s, 'WP01').filesCompleted === 100, 'the latest report');

    const after = { sprint: await sprint.fetchHistory(), child: await child.fetchHistory() };
    const grew = (which: 'sprint' | 'child') =>
      (after[which].events?.length ?? 0) - (before[which].events?.length ?? 0);
    const updates = count(after.child, 'workflowExecutionUpdateAcceptedEventAttributes');
    const forwards = count(after.child, 'signalExternalWorkflowExecutionInitiatedEventAttributes');
    // At most one update a second reaches the package, and each is forwarded to the sprint once
    // (the first forward told the sprint of the worktree); each costs either history 10 events.
    const bound = Math.ceil(seconds) + 1;
    expect(updates).toBeLessThanOrEqual(bound);
    expect(forwards).toBeLessThanOrEqual(1 + bound);
    expect(grew('child')).toBeLessThanOrEqual(10 * bound);
    expect(grew('sprint')).toBeLessThanOrEqual(10 * bound);

    expect((await post(`/sprints/${id}/packages/WP01/complete`, {})).statusCode).toBe(202);
    await until(id, (s) => s.status === 'completed', 'the sprint to complete');
  });
});
