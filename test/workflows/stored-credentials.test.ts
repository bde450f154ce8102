import { loadConfigWithCredentials } from '../../src/runtime/config';
import { openCredentialStores } from '../../src/runtime/credentials';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { createSprintWorker } from '../../src/runtime/worker';
import { outboxWorkflowId } from '../../src/domain/ids';
import { sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(90_000);

const TOKEN = 'ghp_storedByAuthLogin0123456789abcdef';

describe('a worker started without GITHUB_TOKEN', () => {
  let github: LocalGithub;
  let harness: Harness;

  beforeAll(async () => {
    github = await startLocalGithub({ token: TOKEN });
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
    await github.close();
  });

  it('uses the GitHub token stored by `auth login` to keep the progress comment', async () => {
    const env = {
      SPRINTWAVE_HOME: harness.config.home,
      TEMPORAL_TASK_QUEUE: harness.taskQueue,
      GITHUB_API_URL: github.url,
      SPRINTWAVE_CREDENTIAL_STORE: 'file',
    };
    const [store] = await openCredentialStores({ home: harness.config.home, env });
    await store?.write('github', { token: TOKEN });

    const config = await loadConfigWithCredentials(env);
    const worker = await createSprintWorker({
      connection: harness.temporal.nativeConnection,
      client: harness.temporal.client,
      config,
      workflowBundle: { codePath: process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string },
    });
    const issue = github.createIssue('acme', 'widgets', 'Sprint');
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'One', run: 'echo one > one.txt' }],
      github: { repo: 'acme/widgets', issue, minInterval: '200ms' },
    });
    const state = await worker.runUntil(async () => {
      const final = await (await startSprint(harness, { spec })).result();
      await harness.temporal.client.workflow.getHandle(outboxWorkflowId(spec.id)).result();
      return final;
    });

    expect(state.status).toBe('completed');
    expect(github.requests.filter((r) => r.status === 401)).toEqual([]);
    const bodies = github.comments('acme', 'widgets', issue).map((c) => c.body);
    expect(bodies).toEqual([
      expect.stringContaining('| WP01 |'),
      expect.stringContaining('Final Summary: sprint completed'),
    ]);
  });
});
