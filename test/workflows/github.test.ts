import { planSprint } from '../../src/domain/plan';
import { initialProgress } from '../../src/domain/progress-reducer';
import { renderSummary } from '../../src/domain/render-progress';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { githubOutboxWorkflow, pullRequestOutboxWorkflow } from '../../src/workflows';
import { outboxWorkflowId, pullRequestOutboxId } from '../../src/domain/ids';
import { runToEnd, sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(120_000);

const TOKEN = 'ghp_testtoken1234567890';

function writes(github: LocalGithub): { method: string; path: string; status: number }[] {
  return github.requests.filter((r) => r.method === 'POST' || r.method === 'PATCH');
}

function packages(
  count: number,
  command = 'echo "::progress 1/2"; sleep 0.4; echo x > $SPRINTWAVE_WP_ID.txt; echo "::progress 2/2"',
) {
  return Array.from({ length: count }, (_, i) => ({
    id: `WP0${i + 1}`,
    title: `Package ${i + 1}`,
    dependsOn: i > 0 ? [`WP0${i}`] : [],
    run: command,
  }));
}

describe('live progress on a GitHub issue', () => {
  let github: LocalGithub;
  let harness: Harness;
  let issue: number;

  beforeAll(async () => {
    github = await startLocalGithub({ token: TOKEN });
    harness = await startHarness({ GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN });
  });

  beforeEach(() => {
    issue = github.createIssue('acme', 'widgets', 'Sprint');
    github.clearFaults();
    github.up();
  });

  afterAll(async () => {
    await harness.close();
    await github.close();
  });

  async function outboxDone(sprintId: string): Promise<void> {
    await harness.temporal.client.workflow.getHandle(outboxWorkflowId(sprintId)).result();
  }

  it('keeps one progress comment, edited in place and throttled, and posts the summary once', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: packages(3),
      github: { repo: 'acme/widgets', issue, minInterval: '500ms' },
    });
    const started = Date.now();
    const worker = await harness.worker();
    const state = await worker.runUntil(async () => {
      const final = await (await startSprint(harness, { spec })).result();
      await outboxDone(spec.id);
      return final;
    });
    const elapsed = Date.now() - started;

    expect(state.status).toBe('completed');
    const comments = github.comments('acme', 'widgets', issue);
    expect(comments).toHaveLength(2);
    const [progress, summary] = comments;
    expect(progress?.body).toContain('| Package | Agent | Status | Files | Progress |');
    expect(progress?.body).toContain('| WP03 | sh |'); // a command: the shell does the work
    expect(progress?.body).toContain('✅ Completed');
    expect(progress?.body).toContain('**Overall:** 100%');
    expect(progress?.body).toContain(`<!-- sprintwave:sprint=${spec.id}`);
    expect(summary?.body).toContain('Final Summary: sprint completed');
    expect(summary?.body).toContain('Integration checks:');

    const posts = writes(github).filter(
      (r) => r.method === 'POST' && r.path.endsWith(`/issues/${issue}/comments`),
    );
    expect(posts).toHaveLength(2);
    expect(writes(github).filter((r) => r.method === 'PATCH').length).toBeGreaterThanOrEqual(1);
    // Throttled: at most one write per interval, plus the final table and the summary.
    expect(writes(github).length).toBeLessThanOrEqual(2 + elapsed / 500);
    for (const request of github.requests) expect(JSON.stringify(request)).not.toContain(TOKEN);
    const decodedMark: [string, string][] = [
      [spec.id, 'acme/widgets'],
      [outboxWorkflowId(spec.id), 'Final Summary'],
      [`${spec.id}/WP01`, 'dependencyBranches'],
    ];
    for (const [id, mark] of decodedMark) {
      const history = await harness.temporal.client.workflow.getHandle(id).fetchHistory();
      const text = JSON.stringify(history, (key, value: unknown) => {
        if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
        return key === 'data' && typeof value === 'string'
          ? Buffer.from(value, 'base64').toString('utf8')
          : value;
      });
      expect(text).toContain(mark); // payloads are decoded, so the next check means something
      expect(text).not.toContain(TOKEN);
    }
  });

  it('finishes on time while GitHub is down; the outbox delivers once GitHub is back', async () => {
    github.down();
    const spec = sprint(harness.sandbox.repo, {
      packages: packages(2),
      github: { repo: 'acme/widgets', issue, minInterval: '200ms' },
    });
    // Ends while GitHub is still down: were it waiting for GitHub, it would never end here.
    const { state } = await runToEnd(harness, { spec });
    expect(state.status).toBe('completed');
    expect(github.comments('acme', 'widgets', issue)).toHaveLength(0);
    const outbox = await harness.temporal.client.workflow
      .getHandle(outboxWorkflowId(spec.id))
      .describe();
    expect(outbox.status.name).toBe('RUNNING');

    github.up();
    const worker = await harness.worker();
    await worker.runUntil(outboxDone(spec.id));
    const comments = github.comments('acme', 'widgets', issue);
    expect(comments).toHaveLength(2);
    expect(comments[0]?.body).toContain('**Overall:** 100%');
    expect(comments[1]?.body).toContain('Final Summary: sprint completed');
  });

  it('waits as long as a rate limit says, then delivers', async () => {
    github.fail({ status: 403, retryAfter: 2, times: 1, match: { method: 'POST' } });
    const spec = sprint(harness.sandbox.repo, {
      // Long enough that the retry happens while the sprint runs, not in the outbox.
      packages: packages(1, 'sleep 4; echo x > x.txt'),
      github: { repo: 'acme/widgets', issue, minInterval: '200ms' },
    });
    const worker = await harness.worker();
    await worker.runUntil(async () => {
      await (await startSprint(harness, { spec })).result();
      await outboxDone(spec.id);
    });
    const onIssue = github.requests.filter((r) => r.path.includes(`/issues/${issue}/`));
    const limited = onIssue.findIndex((r) => r.status === 403);
    expect(limited).toBeGreaterThanOrEqual(0);
    const next = onIssue[limited + 1];
    expect(next).toBeDefined();
    expect((next?.at ?? 0) - (onIssue[limited]?.at ?? Infinity)).toBeGreaterThanOrEqual(1_900);
    expect(github.comments('acme', 'widgets', issue)).toHaveLength(2);
  });

  it('links a pull request opened before the comment outbox even started', async () => {
    const spec = sprint(harness.sandbox.repo, { packages: packages(1) });
    const target = { sprintId: spec.id, repo: 'acme/widgets' };
    const start = { taskQueue: harness.taskQueue };
    const client = harness.temporal.client;
    const worker = await harness.worker();
    const pullRequest = await worker.runUntil(async () => {
      const opening = await client.workflow.start(pullRequestOutboxWorkflow, {
        ...start,
        workflowId: pullRequestOutboxId(spec.id),
        args: [
          {
            ...target,
            head: 'feature',
            base: 'main',
            title: 'T',
            body: 'B',
            draft: false,
            notify: true,
          },
        ],
      });
      while (github.pulls('acme', 'widgets').every((pull) => pull.head.ref !== 'feature')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Its first report finds no comment outbox; a later one must.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const state = initialProgress(spec, planSprint(spec), Date.now(), 'run');
      const comments = await client.workflow.start(githubOutboxWorkflow, {
        ...start,
        workflowId: outboxWorkflowId(spec.id),
        args: [{ ...target, issue, state, pullRequestPending: true }],
      });
      await comments.result();
      return opening.result();
    });
    const history = await client.workflow.getHandle(pullRequestOutboxId(spec.id)).fetchHistory();
    const missed = history.events?.filter(
      (e) => e.signalExternalWorkflowExecutionFailedEventAttributes,
    );
    expect(missed?.length).toBeGreaterThanOrEqual(1);
    expect(pullRequest?.url).toMatch(/\/acme\/widgets\/pull\/\d+$/);
    const [progress, summary] = github.comments('acme', 'widgets', issue);
    expect(progress?.body).toContain(`**Pull request:** ${pullRequest?.url}`);
    expect(summary?.body).toContain(`**Pull request:** ${pullRequest?.url}`);
  });

  it('makes no GitHub call at all with sync: false', async () => {
    const before = github.requests.length;
    const spec = sprint(harness.sandbox.repo, {
      packages: packages(1),
      github: { repo: 'acme/widgets', issue, sync: false },
    });
    const { state } = await runToEnd(harness, { spec });
    expect(state.status).toBe('completed');
    expect(state.github).toBeUndefined();
    expect(github.requests.length).toBe(before);
  });

  it('switches GitHub off for the sprint on a bad token, without endless retries', async () => {
    const badHarness = await startHarness({
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: 'ghp_wrong',
    });
    try {
      const before = github.requests.length;
      const spec = sprint(badHarness.sandbox.repo, {
        packages: packages(2),
        github: { repo: 'acme/widgets', issue, minInterval: '200ms' },
      });
      const { state } = await runToEnd(badHarness, { spec });
      expect(state.status).toBe('completed');
      expect(state.github).toMatchObject({
        status: 'disabled',
        error: expect.stringMatching(/401/),
      });
      expect(github.requests.length - before).toBe(1);
      const summary = renderSummary(state);
      expect(summary).toContain('GitHub updates were switched off for this sprint');
      await expect(
        badHarness.temporal.client.workflow.getHandle(outboxWorkflowId(spec.id)).describe(),
      ).rejects.toThrow();
    } finally {
      await badHarness.close();
    }
  });
});
