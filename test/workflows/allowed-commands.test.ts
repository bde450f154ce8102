import { existsSync } from 'node:fs';
import path from 'node:path';
import { pkg, runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(60_000);

const NOT_ALLOWED = 'which SPRINTWAVE_ALLOWED_COMMANDS (echo, test) does not allow';

describe('a worker with SPRINTWAVE_ALLOWED_COMMANDS', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ SPRINTWAVE_ALLOWED_COMMANDS: 'echo, test' });
  });

  afterAll(async () => {
    await harness.close();
  });

  it('refuses a package command outside the list even when the sprint came past the CLI and API', async () => {
    // Started on Temporal directly: nothing checked this sprint before the worker got it.
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Allowed', run: 'echo ok > ok.txt' },
        { id: 'WP02', title: 'Refused', run: 'echo x > before.txt; touch refused.txt' },
        { id: 'WP03', title: 'Blocked', dependsOn: ['WP02'], run: 'echo never' },
      ],
    });

    const { state } = await runToEnd(harness, { spec });

    expect(pkg(state, 'WP01').status).toBe('completed');
    const refused = pkg(state, 'WP02');
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain(`runs "touch", ${NOT_ALLOWED}`);
    const worktree = path.join(harness.config.worktreeRoot, spec.id, 'WP02');
    expect(existsSync(path.join(worktree, 'before.txt'))).toBe(false); // nothing of it ran
    expect(pkg(state, 'WP03').status).toBe('blocked');
    expect(state.status).toBe('failed');
  });

  it('runs the allowed checks and reports a refused one as failed, without running it', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'Allowed', run: 'echo ok > ok.txt' }],
      integration: { checks: ['test -f ok.txt', 'ls > listing.txt'] },
    });

    const { state } = await runToEnd(harness, { spec });

    expect(state.integration.checks).toEqual([
      expect.objectContaining({ command: 'test -f ok.txt', exitCode: 0, passed: true }),
      {
        command: 'ls > listing.txt',
        exitCode: null,
        passed: false,
        durationMs: 0,
        outputTail: [`not run: it runs "ls", ${NOT_ALLOWED}`],
      },
    ]);
    const integration = state.integration.worktree ?? '';
    expect(integration).not.toBe('');
    expect(existsSync(path.join(integration, 'listing.txt'))).toBe(false);
    expect(state.status).toBe('failed');
  });
});
