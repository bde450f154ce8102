import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { testAddress, uniqueId } from '../support/temporal';
import type { Harness } from '../support/sprint-harness';
import { startApiHarness } from '../support/api-harness';
import type { ApiHarness } from '../support/api-harness';

jest.setTimeout(60_000);

const UI = 'https://temporal-ui.example.test/ui';

describe('Web UI links in the HTTP API', () => {
  let api: ApiHarness;
  let harness: Harness;
  let app: FastifyInstance;

  beforeAll(async () => {
    api = await startApiHarness({
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_UI_URL: `${UI}/`,
    });
    ({ harness, app } = api);
  });

  afterAll(() => api.close());

  it('POST /sprints and GET /sprints/:id link the sprint and each package that started in the Web UI', async () => {
    const id = uniqueId('links');
    const page = (workflowId: string) =>
      `${UI}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
    const links = {
      self: `/sprints/${id}`,
      webUi: page(id),
      packages: { WP01: page(`${id}/WP01`), WP02: page(`${id}/WP02`) },
    };
    // WP04 is blocked by the failed WP03: its child workflow never exists, so it has no link.
    const finalLinks = {
      ...links,
      packages: { ...links.packages, WP03: page(`${id}/WP03`) },
    };
    expect(links.packages.WP01).toBe(`${UI}/namespaces/default/workflows/${id}%2FWP01`);
    const started = await app.inject({
      method: 'POST',
      url: '/sprints',
      payload: {
        id,
        repo: harness.sandbox.repo,
        packages: [
          { id: 'WP01', title: 'One', run: 'echo one > one.txt' },
          { id: 'WP02', title: 'Two', run: 'echo two > two.txt' },
          { id: 'WP03', title: 'Three', run: 'echo boom; exit 3' },
          { id: 'WP04', title: 'Four', run: 'true', dependsOn: ['WP03'] },
        ],
      },
    });
    expect(started.statusCode).toBe(201);
    // Nothing has started when the answer is sent: no package page exists yet.
    expect(started.json()).toEqual({ id, links: { ...links, packages: {} } });

    await harness.temporal.client.workflow
      .getHandle(id)
      .result()
      .catch(() => undefined);
    const status = await app.inject({ method: 'GET', url: `/sprints/${id}` });
    expect(status.statusCode).toBe(200);
    const body = status.json();
    expect(body).toMatchObject({ id, status: 'failed' });
    expect(body.links).toEqual(finalLinks);
    const wp03 = body.packages.find((p: { id: string }) => p.id === 'WP03');
    expect(wp03).toMatchObject({
      error: '`echo boom; exit 3` exited with code 3',
      outputTail: ['boom'],
    });
    const report = await app.inject({ method: 'GET', url: `/sprints/${id}/report` });
    expect(report.body).toContain('## ❌ Sprint Failed');
    expect(report.body).toContain(
      '- WP03: `echo boom; exit 3` exited with code 3\n  ```\n  boom\n  ```',
    );
  });

  it('leaves the Web UI out when its address is unknown (TEMPORAL_ADDRESS without TEMPORAL_UI_URL)', async () => {
    const config = {
      ...harness.config,
      temporal: { ...harness.config.temporal, uiUrl: undefined },
    };
    const plain = await buildApp({ client: harness.temporal.client, config });
    try {
      const id = uniqueId('no-ui');
      const started = await plain.inject({
        method: 'POST',
        url: '/sprints',
        payload: {
          id,
          repo: harness.sandbox.repo,
          packages: [{ id: 'WP01', title: 'One', run: 'true' }],
        },
      });
      expect(started.json()).toEqual({ id, links: { self: `/sprints/${id}` } });
      await harness.temporal.client.workflow.getHandle(id).result();
      const status = await plain.inject({ method: 'GET', url: `/sprints/${id}` });
      expect(status.json().links).toEqual({ self: `/sprints/${id}` });
    } finally {
      await plain.close();
    }
  });
});
