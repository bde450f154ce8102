import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../src/api/app';
import { isLoopback, startApiServer } from '../../src/api/server';
import type { Config } from '../../src/runtime/config';
import { uniqueId } from '../support/temporal';
import { startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(60_000);

interface Reply {
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('HTTP API on a real dev server and real git', () => {
  let harness: Harness;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;
  const bodies: string[] = [];

  async function call(options: InjectOptions, on: FastifyInstance = app): Promise<Reply> {
    const response = await on.inject(options);
    bodies.push(response.body);
    return response as unknown as Reply;
  }

  async function until(
    id: string,
    test: (status: any) => boolean, // eslint-disable-line @typescript-eslint/no-explicit-any
    what: string,
  ) {
    const deadline = Date.now() + 25_000;
    let last: unknown;
    for (;;) {
      const response = await call({ method: 'GET', url: `/sprints/${id}` });
      last = response.body;
      if (response.statusCode === 200 && test(response.json())) return response.json();
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  const wp = (status: { packages: Array<{ id: string }> }, id: string) =>
    status.packages.find((p) => p.id === id) as Record<string, unknown>;

  beforeAll(async () => {
    harness = await startHarness();
    app = await buildApp({
      client: harness.temporal.client,
      config: harness.config,
      logger: process.env.API_TEST_LOG === '1',
    });
    worker = await harness.worker();
    running = worker.run();
  });

  afterAll(async () => {
    worker.shutdown();
    await running;
    await app.close();
    await harness.close();
    for (const body of bodies) expect(body).not.toMatch(/\bat \//);
  });

  const spec = (raw: Record<string, unknown>) => ({
    id: uniqueId('api'),
    repo: harness.sandbox.repo,
    ...raw,
  });

  describe('auth', () => {
    let secured: FastifyInstance;
    beforeAll(async () => {
      const config: Readonly<Config> = {
        ...harness.config,
        api: { ...harness.config.api, token: 's3cret-token' },
      };
      secured = await buildApp({ client: harness.temporal.client, config });
    });
    afterAll(() => secured.close());

    it('leaves /healthz open and reports Temporal up', async () => {
      const response = await call({ method: 'GET', url: '/healthz' }, secured);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ ok: true, temporal: 'up' });
    });

    it('answers 401 without the token or with a wrong one, 200 with it', async () => {
      const without = await call({ method: 'GET', url: '/sprints' }, secured);
      expect(without.statusCode).toBe(401);
      expect(without.json()).toEqual({ error: expect.any(String) });
      const wrong = await call(
        { method: 'GET', url: '/sprints', headers: { authorization: 'Bearer nope' } },
        secured,
      );
      expect(wrong.statusCode).toBe(401);
      const docs = await call({ method: 'GET', url: '/docs/json' }, secured);
      expect(docs.statusCode).toBe(401);
      const ok = await call(
        { method: 'GET', url: '/sprints', headers: { authorization: 'Bearer s3cret-token' } },
        secured,
      );
      expect(ok.statusCode).toBe(200);
    });
  });

  it('serves the OpenAPI document and Swagger UI at /docs', async () => {
    const json = await call({ method: 'GET', url: '/docs/json' });
    expect(json.statusCode).toBe(200);
    expect(Object.keys(json.json().paths)).toEqual(
      expect.arrayContaining([
        '/plan',
        '/sprints',
        '/sprints/{id}',
        '/sprints/{id}/packages/{wp}/retry',
      ]),
    );
    const ui = await call({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger/i);
  });

  const threePackages = {
    packages: [
      { id: 'WP01', title: 'One', external: true },
      { id: 'WP02', title: 'Two', external: true },
      { id: 'WP03', title: 'Three', dependsOn: ['WP01', 'WP02'], external: true },
    ],
  };

  it('plans a sprint sent as JSON or as YAML', async () => {
    const asJson = await call({ method: 'POST', url: '/plan', payload: spec(threePackages) });
    expect(asJson.statusCode).toBe(200);
    expect(asJson.json().waves).toEqual([['WP01', 'WP02'], ['WP03']]);
    const yaml = [
      'id: yaml-plan',
      'repo: /tmp/anywhere',
      'packages:',
      '  - { id: WP01, title: One, run: "true" }',
      '  - { id: WP02, title: Two, run: "true", dependsOn: [WP01] }',
    ].join('\n');
    const asYaml = await call({
      method: 'POST',
      url: '/plan',
      payload: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(asYaml.statusCode).toBe(200);
    expect(asYaml.json()).toMatchObject({ id: 'yaml-plan', waves: [['WP01'], ['WP02']] });
  });

  it('answers 400 with the paths the CLI prints for an invalid sprint', async () => {
    const cycle = await call({
      method: 'POST',
      url: '/plan',
      payload: spec({
        packages: [
          { id: 'WP01', title: 'One', dependsOn: ['WP02'] },
          { id: 'WP02', title: 'Two', dependsOn: ['WP01'], colour: 'red' },
        ],
      }),
    });
    expect(cycle.statusCode).toBe(400);
    // Every problem at once: the schema's, and those between the packages.
    expect(cycle.json().issues).toEqual([
      { path: 'packages[1].colour', message: 'is not a known field' },
      {
        path: 'packages[0]',
        message:
          'WP01 has neither run nor external: true; give it a command to run or mark it external',
      },
      {
        path: 'packages[1]',
        message:
          'WP02 has neither run nor external: true; give it a command to run or mark it external',
      },
      {
        path: 'packages[0].dependsOn',
        message:
          'WP01 → WP02 → WP01 is a dependency loop (each package depends on the next), so none of them can start',
      },
    ]);
    const onlyCycle = await call({
      method: 'POST',
      url: '/sprints',
      payload: spec({
        packages: [
          { id: 'WP01', title: 'One', dependsOn: ['WP02'], external: true },
          { id: 'WP02', title: 'Two', dependsOn: ['WP01'], external: true },
        ],
      }),
    });
    expect(onlyCycle.statusCode).toBe(400);
    expect(onlyCycle.json().issues).toEqual([
      expect.objectContaining({ path: expect.stringMatching(/^packages\[\d\]\.dependsOn/) }),
    ]);
    const yaml = await call({
      method: 'POST',
      url: '/plan',
      payload: 'id: x\npackages: [\n  - id: WP01\n',
      headers: { 'content-type': 'text/yaml' },
    });
    expect(yaml.statusCode).toBe(400);
    expect(yaml.json().issues[0].path).toMatch(/^body:\d+:\d+$/);
    const relative = await call({
      method: 'POST',
      url: '/sprints',
      payload: { ...spec(threePackages), repo: 'repo' },
    });
    expect(relative.statusCode).toBe(400);
    expect(relative.json().issues).toEqual([{ path: 'repo', message: expect.any(String) }]);
    const notGit = await call({
      method: 'POST',
      url: '/sprints',
      payload: { ...spec(threePackages), repo: harness.sandbox.dir },
    });
    expect(notGit.statusCode).toBe(400);
    expect(notGit.json().issues[0].path).toBe('repo');
    const badQuery = await call({ method: 'GET', url: '/sprints?status=sleeping' });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().issues[0].path).toBe('status');
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const response = await call({
      method: 'POST',
      url: '/plan',
      payload: JSON.stringify({ id: 'big', repo: '/x', filler: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(413);
  });

  it('answers 404 for an unknown sprint or package', async () => {
    for (const [method, url] of [
      ['GET', '/sprints/no-such-sprint'],
      ['GET', '/sprints/no-such-sprint/report'],
      ['POST', '/sprints/no-such-sprint/cancel'],
      ['POST', '/sprints/no-such-sprint/packages/WP01/retry'],
    ] as const) {
      const response = await call({ method, url });
      expect([url, response.statusCode]).toEqual([url, 404]);
    }
  });

  it('starts a sprint, refuses a second start while it runs, lists it, reports it', async () => {
    const marker = path.join(harness.sandbox.dir, uniqueId('release'));
    const body = spec({
      packages: [
        { id: 'WP01', title: 'Quick', run: 'echo one > one.txt' },
        {
          id: 'WP02',
          title: 'Waits',
          run: `while [ ! -f ${marker} ]; do sleep 0.1; done; echo two > two.txt`,
        },
      ],
    });
    const started = await call({ method: 'POST', url: '/sprints', payload: body });
    expect(started.statusCode).toBe(201);
    expect(started.json()).toEqual({
      id: body.id,
      links: {
        self: `/sprints/${body.id}`,
        webUi: expect.any(String),
        packages: expect.any(Object),
      },
    });
    const again = await call({ method: 'POST', url: '/sprints', payload: body });
    expect(again.statusCode).toBe(409);

    await until(
      body.id,
      (s) => wp(s, 'WP01').status === 'completed' && wp(s, 'WP02').status === 'in_progress',
      'WP01 completed, WP02 running',
    );
    const retryRunning = await call({
      method: 'POST',
      url: `/sprints/${body.id}/packages/WP02/retry`,
    });
    expect(retryRunning.statusCode).toBe(409);
    expect(retryRunning.json().error).toMatch(/WP02 is in_progress/);

    const deadline = Date.now() + 15_000;
    for (;;) {
      const listed = await call({ method: 'GET', url: '/sprints?status=running' });
      expect(listed.statusCode).toBe(200);
      if (listed.json().sprints.some((s: { id: string }) => s.id === body.id)) break;
      if (Date.now() > deadline) throw new Error('the sprint never showed up in the list');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    await writeFile(marker, '');
    const done = await until(body.id, (s) => s.status === 'completed', 'sprint completed');
    expect(done).toMatchObject({
      id: body.id,
      status: 'completed',
      links: { self: `/sprints/${body.id}` },
      integration: { merged: ['WP01', 'WP02'] },
    });
    expect(wp(done, 'WP02')).toMatchObject({ status: 'completed', wave: 1, attempt: 1 });

    const report = await call({ method: 'GET', url: `/sprints/${body.id}/report` });
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toMatch(/^text\/markdown/);
    expect(report.body).toMatch(/\| WP01 \|/);
    expect(report.body).toMatch(/Final Summary: sprint completed/);
  });

  it('cancels a running sprint', async () => {
    const body = spec({
      packages: [{ id: 'WP01', title: 'Forever', run: 'sleep 60' }],
    });
    expect((await call({ method: 'POST', url: '/sprints', payload: body })).statusCode).toBe(201);
    await until(body.id, (s) => wp(s, 'WP01').status === 'in_progress', 'WP01 running');
    const cancel = await call({ method: 'POST', url: `/sprints/${body.id}/cancel` });
    expect(cancel.statusCode).toBe(202);
    await until(body.id, (s) => s.status === 'cancelled', 'sprint cancelled');
    const again = await call({ method: 'POST', url: `/sprints/${body.id}/cancel` });
    expect(again.statusCode).toBe(409);
  });

  it('retries a failed package of an ended sprint by resuming it', async () => {
    const fixed = path.join(harness.sandbox.dir, uniqueId('fixed'));
    const body = spec({
      packages: [{ id: 'WP01', title: 'Flaky', run: `test -f ${fixed} && echo ok > ok.txt` }],
    });
    expect((await call({ method: 'POST', url: '/sprints', payload: body })).statusCode).toBe(201);
    const failed = await until(body.id, (s) => s.status === 'failed', 'sprint failed');
    expect(wp(failed, 'WP01').status).toBe('failed');
    const unknown = await call({ method: 'POST', url: `/sprints/${body.id}/packages/WP09/retry` });
    expect(unknown.statusCode).toBe(404);

    await mkdir(path.dirname(fixed), { recursive: true });
    await writeFile(fixed, '');
    const retried = await call({ method: 'POST', url: `/sprints/${body.id}/packages/WP01/retry` });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ id: body.id, status: 'running' });
    expect(wp(retried.json(), 'WP01')).toMatchObject({ status: 'pending', attempt: 2 });
    // The next read shows the retry, not the failed state read a moment before.
    const next = await call({ method: 'GET', url: `/sprints/${body.id}` });
    expect(next.json()).toMatchObject({ status: 'running' });
    const done = await until(body.id, (s) => s.status === 'completed', 'resumed sprint completed');
    expect(wp(done, 'WP01')).toMatchObject({ status: 'completed', attempt: 2 });
  });

  it('limits requests per client and answers unknown routes with 404 JSON', async () => {
    const limited = await buildApp({
      client: harness.temporal.client,
      config: harness.config,
      rateLimit: 2,
    });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await call({ method: 'GET', url: '/healthz' }, limited)).statusCode);
    }
    expect(codes).toEqual([200, 200, 429]);
    await limited.close();
    const missing = await call({ method: 'GET', url: '/nowhere' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: expect.any(String) });
  });

  it('refuses to listen on a non-loopback host without a token', async () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    const config: Readonly<Config> = {
      ...harness.config,
      api: { ...harness.config.api, host: '0.0.0.0', token: undefined },
    };
    await expect(
      startApiServer({ client: harness.temporal.client, config, handleSignals: false }),
    ).rejects.toThrow(/SPRINTWAVE_API_TOKEN/);
    const server = await startApiServer({
      client: harness.temporal.client,
      config: { ...harness.config, api: { ...harness.config.api, port: 0 } },
      handleSignals: false,
    });
    const response = await fetch(`${server.url}/healthz`);
    expect(await response.json()).toEqual({ ok: true, temporal: 'up' });
    await server.close();
  });
});
