import { Octokit } from '@octokit/rest';
import { ApplicationFailure } from '@temporalio/common';
import { commentMarker, createGithubActivities } from '../../src/activities/github';
import type { UpsertPullRequestInput } from '../../src/activities/github';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';

const TOKEN = 'ghp_pull_request_token';
const OWNER = 'acme';
const REPO = 'shop';
/** The branches the repository has on GitHub. */
const BRANCHES = new Set(['main', 'sprintwave/s1/integration', 'sprintwave/s2/integration']);

let github: LocalGithub;

beforeAll(async () => {
  github = await startLocalGithub({
    token: TOKEN,
    hasBranch: (_owner, _repo, branch) => BRANCHES.has(branch),
  });
});

afterEach(() => {
  github.clearFaults();
});

afterAll(async () => {
  await github.close();
});

function activities(token = TOKEN) {
  return createGithubActivities({ token, apiUrl: github.url, timeoutMs: 2_000 });
}

function input(extra: Partial<UpsertPullRequestInput> = {}): UpsertPullRequestInput {
  return {
    sprintId: 's1',
    repo: `${OWNER}/${REPO}`,
    head: 'sprintwave/s1/integration',
    base: 'main',
    title: 'Identity sync',
    body: '## Final Summary: sprint completed',
    draft: false,
    ...extra,
  };
}

function pullsFrom(head: string) {
  return github.pulls(OWNER, REPO).filter((pull) => pull.head.ref === head);
}

function writesSince(index: number) {
  return github.requests.slice(index).filter((r) => r.method !== 'GET');
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure))
    throw new Error(`expected a failure: ${String(error)}`);
  return error;
}

describe('upsertPullRequest', () => {
  it('opens one pull request, leaves it alone when nothing changed, edits it when something did', async () => {
    const { upsertPullRequest } = activities();
    const opened = await upsertPullRequest(input({ draft: true }));
    expect(opened).toMatchObject({ created: true, unchanged: false, draft: true });
    const [pull] = pullsFrom('sprintwave/s1/integration');
    expect(pull?.html_url).toBe(opened.url);
    expect(pull?.body).toContain(commentMarker('s1', 'pull-request'));

    const before = github.requests.length;
    const again = await upsertPullRequest(input({ draft: true }));
    expect(again).toMatchObject({ number: opened.number, created: false, unchanged: true });
    expect(writesSince(before)).toEqual([]);

    const edited = await upsertPullRequest(input({ body: '## Final Summary: sprint failed' }));
    expect(edited).toMatchObject({ number: opened.number, created: false, unchanged: false });
    expect(writesSince(before).map((r) => r.method)).toEqual(['PATCH']);
    expect(pullsFrom('sprintwave/s1/integration')).toHaveLength(1);
    expect(pullsFrom('sprintwave/s1/integration')[0]?.body).toContain('sprint failed');
  });

  it('takes over a pull request someone opened for the branch instead of opening another', async () => {
    const octokit = new Octokit({ auth: TOKEN, baseUrl: github.url });
    const head = 'sprintwave/s2/integration';
    const theirs = await octokit.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      title: 'By hand',
      head,
      base: 'main',
    });
    const result = await activities().upsertPullRequest(input({ sprintId: 's2', head }));
    expect(result).toMatchObject({ number: theirs.data.number, created: false });
    expect(pullsFrom(head)).toHaveLength(1);
    expect(pullsFrom(head)[0]?.title).toBe('Identity sync');
  });

  it('fails for good on a branch GitHub does not have, on a bad token and on a missing repository', async () => {
    const missing = await failureOf(activities().upsertPullRequest(input({ head: 'not-pushed' })));
    expect(missing).toMatchObject({ type: 'GithubRejected', nonRetryable: true });
    expect(missing.message).toContain('422');

    const unauthorized = await failureOf(activities('ghp_wrong').upsertPullRequest(input()));
    expect(unauthorized).toMatchObject({ type: 'GithubUnauthorized', nonRetryable: true });
    expect(unauthorized.message).not.toContain('ghp_wrong');

    github.fail({ status: 404, times: 1 });
    const gone = await failureOf(activities().upsertPullRequest(input()));
    expect(gone).toMatchObject({ type: 'GithubNotFound', nonRetryable: true });
  });

  it('leaves outages and rate limits to Temporal’s retries', async () => {
    github.fail({ status: 502, times: 1 });
    const down = await failureOf(activities().upsertPullRequest(input()));
    expect(down).toMatchObject({ type: 'GithubUnavailable', nonRetryable: false });

    github.fail({ retryAfter: 7, times: 1 });
    const limited = await failureOf(activities().upsertPullRequest(input()));
    expect(limited.type).toBe('GithubRateLimited');
    expect(limited.nextRetryDelay).toBe(7_000);
  });
});
