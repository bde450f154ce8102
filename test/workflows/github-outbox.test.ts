import type { LocalGithub, RecordedRequest } from '../../src/devtools/github-local/server';
import { outboxWorkflowId, pullRequestOutboxId } from '../../src/domain/ids';
import { startRemoteAndGithub } from '../support/git-remote';
import { sprint, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(60_000);

const TOKEN = 'ghp_outboxtoken1234567890';
const OWNER = 'acme';
const REPO = 'widgets';

/** What a sprint's end hands to its outboxes: what they write, and when. */
describe('the outboxes that finish a sprint on GitHub', () => {
  let github: LocalGithub;
  let harness: Harness;

  beforeAll(async () => {
    // GitHub knows the branches the bare remote has, so a pull request needs a real push first.
    ({ github, harness } = await startRemoteAndGithub(TOKEN));
  });

  beforeEach(() => {
    github.clearFaults();
    github.up();
  });

  afterAll(async () => {
    await harness.close();
    await github.close();
  });

  const result = (workflowId: string): Promise<unknown> =>
    harness.temporal.client.workflow.getHandle(workflowId).result();

  /** The requests after `index` that reached the issue's comments or the pull requests. */
  function gapAfter(requests: RecordedRequest[], index: number): number {
    const limited = requests[index];
    const next = requests[index + 1];
    if (!limited || !next) throw new Error('no request after the rate limit');
    return next.at - limited.at;
  }

  it('after an outage, the table and the summary link the pull request the outbox opened later', async () => {
    const issue = github.createIssue(OWNER, REPO, 'Sprint');
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'One', run: 'echo one > one.txt' }],
      integration: { push: true, checks: [] },
      github: { repo: `${OWNER}/${REPO}`, issue, minInterval: '200ms', pullRequest: true },
    });
    github.down();
    const worker = await harness.worker();
    const state = await worker.runUntil(async () => {
      const final = await (await startSprint(harness, { spec })).result();
      expect(final.delivery?.pullRequest?.note).toContain(pullRequestOutboxId(spec.id));
      github.up();
      await Promise.all([result(pullRequestOutboxId(spec.id)), result(outboxWorkflowId(spec.id))]);
      return final;
    });
    expect(state.status).toBe('completed');
    const [pull] = github.pulls(OWNER, REPO).filter((p) => p.head.ref === state.integration.branch);
    expect(pull?.html_url).toBeDefined();
    const [progress, summary] = github.comments(OWNER, REPO, issue);
    expect(progress?.body).toContain(`**Pull request:** ${pull?.html_url}`);
    expect(summary?.body).toContain(`**Pull request:** ${pull?.html_url}`);
    expect(summary?.body).not.toContain('did not answer in time');
  });

  it('links a pull request opened moments after the sprint ended, whichever outbox runs first', async () => {
    const issue = github.createIssue(OWNER, REPO, 'Sprint');
    // Only the sprint's own attempt is slow: the outbox's goes through at once.
    github.fail({ delayMs: 11_000, times: 1, match: { method: 'POST', path: /\/pulls$/ } });
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'One', run: 'echo one > one.txt' }],
      integration: { push: true, checks: [] },
      github: { repo: `${OWNER}/${REPO}`, issue, minInterval: '200ms', pullRequest: true },
    });
    const worker = await harness.worker();
    const state = await worker.runUntil(async () => {
      const final = await (await startSprint(harness, { spec })).result();
      await Promise.all([result(pullRequestOutboxId(spec.id)), result(outboxWorkflowId(spec.id))]);
      return final;
    });
    expect(state.delivery?.pullRequest?.note).toContain(pullRequestOutboxId(spec.id));
    const [pull] = github.pulls(OWNER, REPO).filter((p) => p.head.ref === state.integration.branch);
    const [progress, summary] = github.comments(OWNER, REPO, issue);
    expect(progress?.body).toContain(`**Pull request:** ${pull?.html_url}`);
    expect(summary?.body).toContain(`**Pull request:** ${pull?.html_url}`);
  });

  it('keeps to a rate limit still pending when the sprint ends', async () => {
    const issue = github.createIssue(OWNER, REPO, 'Sprint');
    const onIssue = new RegExp(`/issues/${issue}/comments$`);
    github.fail({
      status: 429,
      retryAfter: 15,
      times: 1,
      match: { method: 'POST', path: onIssue },
    });
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'One', run: 'sleep 1; echo one > one.txt' }],
      github: { repo: `${OWNER}/${REPO}`, issue, minInterval: '200ms' },
    });
    const worker = await harness.worker();
    const ended = await worker.runUntil(async () => {
      await (await startSprint(harness, { spec })).result();
      const at = Date.now();
      await result(outboxWorkflowId(spec.id));
      return at;
    });
    const requests = github.requests.filter((r) => r.path.includes(`/issues/${issue}/`));
    const limited = requests.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    // The sprint ended within GitHub's 15 s; the next request still waited for all of them.
    expect(ended).toBeLessThan(requests[limited + 1]?.at ?? 0);
    expect(gapAfter(requests, limited)).toBeGreaterThanOrEqual(14_900);
    const [progress, summary] = github.comments(OWNER, REPO, issue);
    expect(progress?.body).toContain('**Overall:** 100%');
    expect(summary?.body).toContain('Final Summary: sprint completed');
  });

  it('keeps to a rate limit on the pull request that outlasts the sprint’s wait', async () => {
    github.fail({
      status: 403,
      retryAfter: 11,
      times: 1,
      match: { method: 'POST', path: /\/pulls$/ },
    });
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'One', run: 'echo one > one.txt' }],
      integration: { push: true, checks: [] },
      github: { repo: `${OWNER}/${REPO}`, pullRequest: true },
    });
    const worker = await harness.worker();
    const state = await worker.runUntil(async () => {
      const final = await (await startSprint(harness, { spec })).result();
      await result(pullRequestOutboxId(spec.id));
      return final;
    });
    // GitHub's 11 s would outlast the sprint's 10 s: the outbox takes it over at once.
    expect(state.delivery?.pullRequest?.note).toContain(pullRequestOutboxId(spec.id));
    const requests = github.requests.filter((r) => /\/pulls$/.test(r.path) && r.method === 'POST');
    const limited = requests.findIndex((r) => r.status === 403);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(gapAfter(requests, limited)).toBeGreaterThanOrEqual(10_900);
    expect(
      github.pulls(OWNER, REPO).filter((p) => p.head.ref === state.integration.branch),
    ).toHaveLength(1);
  });
});
