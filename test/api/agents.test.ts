import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { uniqueId } from '../support/temporal';
import { startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(60_000);

// As in app.test.ts: ES-module-only dependencies on paths these tests never take.
jest.mock('content-disposition', () => ({
  create: (filename = 'download') => `attachment; filename="${filename}"`,
}));
jest.mock('cookie', () => ({
  stringifySetCookie: ({ name, value }: { name: string; value: string }) => `${name}=${value}`,
}));

describe('POST /sprints with an agent the server cannot start', () => {
  let harness: Harness;
  let app: FastifyInstance;
  const saved = process.env.SPRINTWAVE_AGENT_AIDER;

  beforeAll(async () => {
    harness = await startHarness();
    app = await buildApp({ client: harness.temporal.client, config: harness.config });
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env.SPRINTWAVE_AGENT_AIDER;
    else process.env.SPRINTWAVE_AGENT_AIDER = saved;
    await app.close();
    await harness.close();
  });

  it('answers 400 naming the package, and starts no workflow', async () => {
    const missing = path.join(harness.sandbox.dir, 'bin', 'aider');
    process.env.SPRINTWAVE_AGENT_AIDER = missing;
    const id = uniqueId('agents');
    const response = await app.inject({
      method: 'POST',
      url: '/sprints',
      payload: {
        id,
        repo: harness.sandbox.repo,
        packages: [
          { id: 'WP01', title: 'Shell', run: 'true' },
          { id: 'WP02', title: 'Aider', agent: 'aider', prompt: 'Add tests.' },
        ],
      },
    });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      issues: [
        {
          path: 'packages[1].agent',
          message: `aider: SPRINTWAVE_AGENT_AIDER=${missing} is not an executable file`,
        },
      ],
    });
    const status = await app.inject({ method: 'GET', url: `/sprints/${id}` });
    expect(status.statusCode).toBe(404);
  });
});
