import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commentMarker } from '../../src/activities/github';
import type { SprintProgress } from '../../src/domain/progress';
import { renderSummary } from '../../src/domain/render-progress';
import type { LocalGithub, PullRequest } from '../../src/devtools/github-local/server';
import { sprintStatusJson } from '../../src/schemas/status-json';
import { outboxWorkflowId, pullRequestOutboxId } from '../../src/domain/ids';
import type { SprintWorkflowInput } from '../../src/workflows';
import { pushFromElsewhere, remoteTip, startRemoteAndGithub } from '../support/git-remote';
import { runToEnd, sprint, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(180_000);

const TOKEN = 'ghp_deliverytoken1234567890';
const OWNER = 'acme';
const REPO = 'widgets';

describe('delivering a sprint: push and pull request', () => {
  let github: LocalGithub;
  let harness: Harness;
  let bare = '';

  beforeAll(async () => {
    // GitHub knows the branches the bare remote has, so a pull request needs a real push first.
    ({ github, harness, bare } = await startRemoteAndGithub(TOKEN));
  });

  beforeEach(() => {
    github.up();
  });

  afterAll(async () => {
    await harness.close();
    await github.close();
  });

  function pullsFrom(branch: string): PullRequest[] {
    return github.pulls(OWNER, REPO).filter((pull) => pull.head.ref === branch);
  }

  function pullWrites(): { method: string; path: string }[] {
    return github.requests.filter((r) => r.method !== 'GET' && r.path.includes('/pulls'));
  }

  /** Runs the sprint again in a new run of the same workflow id, as `retry` does once it ended. */
  async function rerun(
    input: SprintWorkflowInput,
    previous: SprintProgress,
    retry: string[],
  ): Promise<SprintProgress> {
    return (await runToEnd(harness, { ...input, resume: previous, retry })).state;
  }

  function deliveringSprint(extra: Record<string, unknown> = {}) {
    return sprint(harness.sandbox.repo, {
      title: 'Identity sync',
      packages: [
        { id: 'WP01', title: 'One', run: 'echo one > one.txt' },
        { id: 'WP02', title: 'Two', dependsOn: ['WP01'], run: 'echo two > two.txt' },
      ],
      integration: { push: true, pushPackages: true, checks: ['test -f one.txt'] },
      github: { repo: `${OWNER}/${REPO}`, pullRequest: true },
      ...extra,
    });
  }

  it('pushes a clean sprint and opens exactly one pull request with the summary; a rerun pushes nothing new', async () => {
    const issue = github.createIssue(OWNER, REPO, 'Sprint');
    const spec = deliveringSprint({
      github: { repo: `${OWNER}/${REPO}`, issue, minInterval: '200ms', pullRequest: true },
    });
    const branch = `sprintwave/${spec.id}/integration`;
    const worker = await harness.worker();
    const state = await worker.runUntil(async () => {
      const final = await (await startSprint(harness, { spec })).result();
      await harness.temporal.client.workflow.getHandle(outboxWorkflowId(spec.id)).result();
      return final;
    });

    expect(state.status).toBe('completed');
    const commit = state.integration.commit;
    expect(await remoteTip(bare, branch)).toBe(commit);
    expect(await remoteTip(bare, `sprintwave/${spec.id}/WP02`)).toBe(state.packages[1]?.commit);
    expect(state.delivery?.pushed).toContainEqual({ branch, commit, unchanged: false });

    const pulls = pullsFrom(branch);
    expect(pulls).toHaveLength(1);
    const [pull] = pulls;
    expect(pull).toMatchObject({ title: 'Identity sync', draft: false, state: 'open' });
    expect(pull?.base.ref).toBe('main');
    expect(pull?.body).toContain('Final Summary: sprint completed');
    expect(pull?.body).toContain(`\`${branch}\` pushed to \`origin\``);
    expect(pull?.body).toContain(commentMarker(spec.id, 'pull-request'));
    expect(state.delivery?.pullRequest).toMatchObject({ url: pull?.html_url, created: true });
    expect(renderSummary(state)).toContain(`**Pull request:** ${pull?.html_url}`);
    const [progress, summary] = github.comments(OWNER, REPO, issue);
    expect(progress?.body).toContain(`**Pull request:** ${pull?.html_url}`);
    expect(summary?.body).toContain(`**Pull request:** ${pull?.html_url}`);

    const writesBefore = pullWrites().length;
    const again = await rerun({ spec }, state, []);
    expect(again.status).toBe('completed');
    expect(again.delivery?.pushed).toContainEqual({ branch, commit, unchanged: true });
    expect(pullsFrom(branch)).toHaveLength(1);
    expect(again.delivery?.pullRequest).toMatchObject({ url: pull?.html_url, created: false });
    expect(
      pullWrites()
        .slice(writesBefore)
        .every((r) => r.method === 'PATCH'),
    ).toBe(true);
  });

  it('pushes nothing for a failed sprint and says why; no pull request either', async () => {
    const spec = deliveringSprint({
      packages: [
        { id: 'WP01', title: 'One', run: 'echo one > one.txt' },
        { id: 'WP02', title: 'Two', run: 'echo broken; exit 3' },
      ],
    });
    const branch = `sprintwave/${spec.id}/integration`;
    const { state } = await runToEnd(harness, { spec });

    expect(state.status).toBe('failed');
    expect(state.integration.merged).toEqual(['WP01']);
    expect(await remoteTip(bare, branch)).toBeUndefined();
    expect(await remoteTip(bare, `sprintwave/${spec.id}/WP01`)).toBeUndefined();
    expect(state.delivery?.pushed).toEqual([]);
    expect(state.delivery?.notPushed).toMatch(/the sprint did not complete \(WP02 failed/);
    expect(state.delivery?.notPushed).toContain('integration.pushOnFailure is off');
    // `status --json` and `GET /sprints/:id` say so too.
    expect(sprintStatusJson(state).delivery?.notPushed).toBe(state.delivery?.notPushed);
    const summary = renderSummary(state);
    expect(summary).toContain('Nothing pushed to `origin`: the sprint did not complete');
    expect(summary).toContain(`**Pull request:** not opened: \`${branch}\` was not pushed`);
    expect(pullsFrom(branch)).toHaveLength(0);
  });

  it('with pushOnFailure opens a draft; fixed and retried, it updates that pull request', async () => {
    const fixed = path.join(harness.sandbox.dir, `fixed-${Date.now()}`);
    const spec = deliveringSprint({
      packages: [
        { id: 'WP01', title: 'One', run: 'echo one > one.txt' },
        { id: 'WP02', title: 'Two', run: `test -f ${fixed} && echo two > two.txt` },
      ],
      integration: { push: true, pushOnFailure: true, checks: [] },
    });
    const branch = `sprintwave/${spec.id}/integration`;
    const first = (await runToEnd(harness, { spec })).state;

    expect(first.status).toBe('failed');
    expect(await remoteTip(bare, branch)).toBe(first.integration.commit);
    const [draft] = pullsFrom(branch);
    expect(pullsFrom(branch)).toHaveLength(1);
    expect(draft?.draft).toBe(true);
    expect(draft?.body).toContain('Final Summary: sprint failed');
    expect(first.delivery?.pullRequest).toMatchObject({ draft: true, created: true });

    await writeFile(fixed, 'yes\n');
    const second = await rerun({ spec }, first, ['WP02']);

    expect(second.status).toBe('completed');
    expect(second.integration.merged).toEqual(['WP01', 'WP02']);
    expect(second.integration.commit).not.toBe(first.integration.commit);
    expect(await remoteTip(bare, branch)).toBe(second.integration.commit);
    const pulls = pullsFrom(branch);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.number).toBe(draft?.number);
    expect(pulls[0]?.body).toContain('Final Summary: sprint completed');
    expect(second.delivery?.pullRequest).toMatchObject({ url: draft?.html_url, created: false });
  });

  it('reports a remote branch that moved and leaves it as it is: no force', async () => {
    const spec = deliveringSprint();
    const branch = `sprintwave/${spec.id}/integration`;
    const theirs = await pushFromElsewhere(harness.sandbox, bare, branch);
    const { state } = await runToEnd(harness, { spec });

    expect(state.status).toBe('failed');
    expect(await remoteTip(bare, branch)).toBe(theirs);
    expect(state.delivery?.error).toContain(`origin's ${branch} moved (now ${theirs.slice(0, 7)})`);
    expect(state.reasons.join('\n')).toMatch(/push to origin: .*fetch it and merge it/);
    expect(renderSummary(state)).toContain('Push to `origin` failed');
    expect(pullsFrom(branch)).toHaveLength(0);
  });

  it('ends on time while GitHub is down; a detached workflow opens the pull request later', async () => {
    github.down();
    const spec = deliveringSprint();
    const branch = `sprintwave/${spec.id}/integration`;
    // Ends while GitHub is still down: were it waiting for GitHub, it would never end here.
    const { state } = await runToEnd(harness, { spec });

    expect(state.status).toBe('completed');
    expect(await remoteTip(bare, branch)).toBe(state.integration.commit);
    expect(state.delivery?.pullRequest?.note).toContain(pullRequestOutboxId(spec.id));
    expect(pullsFrom(branch)).toHaveLength(0);

    github.up();
    const worker = await harness.worker();
    await worker.runUntil(
      harness.temporal.client.workflow.getHandle(pullRequestOutboxId(spec.id)).result(),
    );
    const pulls = pullsFrom(branch);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.body).toContain('Final Summary: sprint completed');
  });
});
