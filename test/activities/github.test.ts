import { Octokit } from '@octokit/rest';
import { ApplicationFailure } from '@temporalio/common';
import { commentMarker, createGithubActivities } from '../../src/activities/github';
import type { GithubDeps, UpsertCommentInput } from '../../src/activities/github';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';

const TOKEN = 'secret-token';
const owner = 'acme';
const name = 'shop';
const repo = `${owner}/${name}`;

let github: LocalGithub;
let octokit: Octokit;

beforeAll(async () => {
  github = await startLocalGithub({ token: TOKEN });
  octokit = new Octokit({ auth: TOKEN, baseUrl: github.url });
});

afterEach(() => {
  github.clearFaults();
  github.up();
});

afterAll(async () => {
  await github.close();
});

function activities(extra: Partial<GithubDeps> = {}) {
  return createGithubActivities({ token: TOKEN, apiUrl: github.url, ...extra });
}

function newIssue(): number {
  return github.createIssue(owner, name, 'Sprint');
}

function input(issue: number, extra: Partial<UpsertCommentInput> = {}): UpsertCommentInput {
  return { sprintId: 's1', repo, issue, kind: 'progress', body: '| table v1 |', ...extra };
}

/** Requests made while `run` ran. */
async function requestsDuring(run: () => Promise<unknown>) {
  const before = github.requests.length;
  await run();
  return github.requests.slice(before);
}

/** The ApplicationFailure `promise` rejects with; fails when it resolves. */
async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure)) {
    throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  }
  expect(error.message).not.toContain(TOKEN);
  expect(JSON.stringify(error)).not.toContain(TOKEN);
  return error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('commentMarker', () => {
  it('is a hidden HTML comment naming sprint and kind', () => {
    expect(commentMarker('s1', 'progress')).toBe('<!-- sprintwave:sprint=s1 kind=progress -->');
    expect(commentMarker('s1', 'standup:2026-11-21')).toBe(
      '<!-- sprintwave:sprint=s1 kind=standup:2026-11-21 -->',
    );
  });

  it('cannot be closed or spoofed by an odd id', () => {
    const marker = commentMarker('x --> kind=summary', 'progress');
    expect(marker.indexOf('-->')).toBe(marker.length - 3);
    expect(marker).not.toContain(' kind=summary');
  });
});

describe('upsertIssueComment', () => {
  it('creates the comment first, then edits that same comment', async () => {
    const issue = newIssue();
    const { upsertIssueComment } = activities();

    const first = await upsertIssueComment(input(issue));
    const second = await upsertIssueComment(input(issue, { body: '| table v2 |' }));

    expect(first).toMatchObject({ created: true, unchanged: false });
    expect(first.url).toContain(`/${repo}/issues/${issue}#issuecomment-${first.commentId}`);
    expect(second).toEqual({ ...first, created: false, unchanged: false });
    const comments = github.comments(owner, name, issue);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toBe(`| table v2 |\n\n${commentMarker('s1', 'progress')}`);
  });

  it('sends no PATCH when the body is unchanged', async () => {
    const issue = newIssue();
    const { upsertIssueComment } = activities();
    const first = await upsertIssueComment(input(issue));

    let result;
    const requests = await requestsDuring(async () => {
      result = await upsertIssueComment(input(issue));
    });

    expect(result).toEqual({ ...first, created: false, unchanged: true });
    expect(requests.map((r) => r.method)).not.toContain('PATCH');
    expect(requests.map((r) => r.method)).not.toContain('POST');
  });

  it('uses the cache: an update is one PATCH, no listing', async () => {
    const issue = newIssue();
    const { upsertIssueComment } = activities();
    await upsertIssueComment(input(issue));

    const requests = await requestsDuring(() => upsertIssueComment(input(issue, { body: 'v2' })));

    expect(requests.map((r) => r.method)).toEqual(['PATCH']);
  });

  it('keeps one comment per kind and per sprint, even for ids that prefix each other', async () => {
    const issue = newIssue();
    const { upsertIssueComment } = activities();

    const progress = await upsertIssueComment(input(issue, { body: 'progress' }));
    const summary = await upsertIssueComment(input(issue, { kind: 'summary', body: 'summary' }));
    const other = await upsertIssueComment(input(issue, { sprintId: 's10', body: 'other' }));
    // A fresh instance must tell them apart from the markers alone.
    const again = await activities().upsertIssueComment(input(issue, { body: 'progress 2' }));

    expect(new Set([progress.commentId, summary.commentId, other.commentId]).size).toBe(3);
    expect(again).toMatchObject({ commentId: progress.commentId, created: false });
    expect(github.comments(owner, name, issue).map((c) => c.body.split('\n')[0])).toEqual([
      'progress 2',
      'summary',
      'other',
    ]);
  });

  it('finds the existing comment after a restart (fresh cache) instead of creating one', async () => {
    const issue = newIssue();
    const first = await activities().upsertIssueComment(input(issue));

    const restarted = await activities().upsertIssueComment(input(issue, { body: 'v2' }));
    const unchanged = await activities().upsertIssueComment(input(issue, { body: 'v2' }));

    expect(restarted).toMatchObject({
      commentId: first.commentId,
      created: false,
      unchanged: false,
    });
    expect(unchanged).toMatchObject({
      commentId: first.commentId,
      created: false,
      unchanged: true,
    });
    expect(github.comments(owner, name, issue)).toHaveLength(1);
  });

  it('finds its comment behind many others, page by page', async () => {
    const issue = newIssue();
    for (let i = 0; i < 60; i++) {
      await octokit.rest.issues.createComment({
        owner,
        repo: name,
        issue_number: issue,
        body: `chat ${i}`,
      });
    }
    const first = await activities().upsertIssueComment(input(issue));
    for (let i = 0; i < 60; i++) {
      await octokit.rest.issues.createComment({
        owner,
        repo: name,
        issue_number: issue,
        body: `more ${i}`,
      });
    }

    let result;
    const requests = await requestsDuring(async () => {
      result = await activities().upsertIssueComment(input(issue, { body: 'v2' }));
    });

    expect(result).toMatchObject({ commentId: first.commentId, created: false });
    expect(github.comments(owner, name, issue)).toHaveLength(121);
    const listings = requests.filter((r) => r.method === 'GET');
    expect(listings.map((r) => r.query.per_page)).toEqual(['100']);
  });

  it('reads a second page when the comment is not on the first', async () => {
    const issue = newIssue();
    for (let i = 0; i < 120; i++) {
      await octokit.rest.issues.createComment({
        owner,
        repo: name,
        issue_number: issue,
        body: `chat ${i}`,
      });
    }
    const first = await activities().upsertIssueComment(input(issue));

    let result;
    const requests = await requestsDuring(async () => {
      result = await activities().upsertIssueComment(input(issue, { body: 'v2' }));
    });

    expect(result).toMatchObject({ commentId: first.commentId, created: false });
    expect(requests.filter((r) => r.method === 'GET').map((r) => r.query.page ?? '1')).toEqual([
      '1',
      '2',
    ]);
  });

  it.each([
    ['a new body', 'v2'],
    ['the same body', '| table v1 |'],
  ])('recreates a cached comment that someone deleted (%s)', async (_, body) => {
    const issue = newIssue();
    const { upsertIssueComment } = activities();
    const first = await upsertIssueComment(input(issue));
    await octokit.rest.issues.deleteComment({ owner, repo: name, comment_id: first.commentId });

    const again = await upsertIssueComment(input(issue, { body }));

    expect(again).toMatchObject({ created: true, unchanged: false });
    expect(again.commentId).not.toBe(first.commentId);
    expect(github.comments(owner, name, issue).map((c) => c.id)).toEqual([again.commentId]);
  });

  it('does not comment twice when the answer to a POST was lost', async () => {
    const issue = newIssue();
    // The server creates the comment only after the client gave up waiting.
    github.fail({ delayMs: 500, times: 1, match: { method: 'POST' } });
    const { upsertIssueComment } = activities({ timeoutMs: 200 });

    const lost = await failure(upsertIssueComment(input(issue)));
    expect(lost).toMatchObject({ type: 'GithubUnavailable', nonRetryable: false });
    for (let i = 0; i < 50 && github.comments(owner, name, issue).length === 0; i++)
      await sleep(50);
    expect(github.comments(owner, name, issue)).toHaveLength(1);

    const retried = await upsertIssueComment(input(issue));
    expect(retried).toMatchObject({ created: false, unchanged: true });
    expect(github.comments(owner, name, issue)).toHaveLength(1);
  });

  it('never sends the token anywhere but the Authorization header', async () => {
    const issue = newIssue();
    const requests = await requestsDuring(() => activities().upsertIssueComment(input(issue)));

    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.headers.authorization).toBeDefined();
      expect(JSON.stringify(request)).not.toContain(TOKEN);
    }
  });
});

describe('upsertIssueComment failures', () => {
  it('a wrong token is GithubUnauthorized, not retried', async () => {
    const issue = newIssue();
    const wrong = createGithubActivities({ token: 'not-the-token', apiUrl: github.url });

    const error = await failure(wrong.upsertIssueComment(input(issue)));

    expect(error).toMatchObject({ type: 'GithubUnauthorized', nonRetryable: true });
    expect(error.message).toMatch(/^GitHub rejected the token \(401 Bad credentials\)/);
    expect(error.message).not.toContain('not-the-token');
  });

  it('an unknown issue is GithubNotFound naming owner/name#issue', async () => {
    const error = await failure(activities().upsertIssueComment(input(9999)));

    expect(error).toMatchObject({ type: 'GithubNotFound', nonRetryable: true });
    expect(error.message).toContain(`${repo}#9999`);
  });

  it('a malformed repo is rejected before any request', async () => {
    const requests = await requestsDuring(async () => {
      const error = await failure(activities().upsertIssueComment({ ...input(1), repo: 'nope' }));
      expect(error).toMatchObject({ type: 'GithubRejected', nonRetryable: true });
    });
    expect(requests).toEqual([]);
  });

  it('a secondary rate limit waits exactly retry-after', async () => {
    const issue = newIssue();
    github.fail({ retryAfter: 7, times: 1 });

    const error = await failure(activities().upsertIssueComment(input(issue)));

    expect(error).toMatchObject({
      type: 'GithubRateLimited',
      nonRetryable: false,
      nextRetryDelay: 7_000,
    });
  });

  it('a 429 with retry-after is a rate limit too', async () => {
    const issue = newIssue();
    github.fail({ status: 429, retryAfter: 3, times: 1 });

    const error = await failure(activities().upsertIssueComment(input(issue)));

    expect(error).toMatchObject({
      type: 'GithubRateLimited',
      nonRetryable: false,
      nextRetryDelay: 3_000,
    });
    // A workflow never sees nextRetryDelay; it reads the wait from the details.
    expect(error.details).toEqual([{ retryAfterMs: 3_000 }]);
  });

  it('a primary rate limit waits until x-ratelimit-reset', async () => {
    const issue = newIssue();
    github.fail({ rateLimitReset: Math.floor(Date.now() / 1000) + 30, times: 1 });

    const error = await failure(activities().upsertIssueComment(input(issue)));

    expect(error).toMatchObject({ type: 'GithubRateLimited', nonRetryable: false });
    expect(error.nextRetryDelay).toBeGreaterThan(27_000);
    expect(error.nextRetryDelay).toBeLessThanOrEqual(30_000);
  });

  it('a reset already past still waits a second', async () => {
    const issue = newIssue();
    github.fail({ rateLimitReset: Math.floor(Date.now() / 1000) - 5, times: 1 });

    const error = await failure(activities().upsertIssueComment(input(issue)));

    expect(error).toMatchObject({ type: 'GithubRateLimited', nextRetryDelay: 1_000 });
  });

  it('a plain 403 is GithubForbidden, not retried', async () => {
    const issue = newIssue();
    github.fail({ status: 403, times: 1 });

    const error = await failure(activities().upsertIssueComment(input(issue)));

    expect(error).toMatchObject({ type: 'GithubForbidden', nonRetryable: true });
  });

  it('a 422 is GithubRejected with GitHub message, not retried', async () => {
    const issue = newIssue();
    github.fail({ status: 422, times: 1 });

    const error = await failure(activities().upsertIssueComment(input(issue)));

    expect(error).toMatchObject({ type: 'GithubRejected', nonRetryable: true });
    expect(error.message).toContain('Unprocessable Entity');
  });

  it.each([
    ['a 500', { status: 500 }],
    ['a 502', { status: 502 }],
    ['a connection reset', { reset: true }],
  ])('%s is retryable GithubUnavailable, tried once', async (_, fault) => {
    const issue = newIssue();
    github.fail({ ...fault, times: 1 });

    let error: ApplicationFailure | undefined;
    const requests = await requestsDuring(async () => {
      error = await failure(activities().upsertIssueComment(input(issue)));
    });

    expect(error).toMatchObject({ type: 'GithubUnavailable', nonRetryable: false });
    expect(requests).toHaveLength(1);
    expect(github.comments(owner, name, issue)).toHaveLength(0);
  });

  it('GitHub down (503) is retryable, and the next attempt succeeds', async () => {
    const issue = newIssue();
    const { upsertIssueComment } = activities();
    github.down();
    const error = await failure(upsertIssueComment(input(issue)));
    expect(error).toMatchObject({ type: 'GithubUnavailable', nonRetryable: false });

    github.up();
    await expect(upsertIssueComment(input(issue))).resolves.toMatchObject({ created: true });
  });

  it('a slow answer times out after timeoutMs and is retryable', async () => {
    const issue = newIssue();
    github.fail({ delayMs: 60_000, times: 1 });

    const error = await failure(activities({ timeoutMs: 200 }).upsertIssueComment(input(issue)));

    // It gave up while the server still held its answer back.
    const slow = github.requests.filter((r) => r.fault?.delayMs === 60_000);
    expect(slow.map((r) => r.status)).toEqual([0]);
    expect(error).toMatchObject({ type: 'GithubUnavailable', nonRetryable: false });
    expect(error.message).toContain('200 ms');
  });

  it('the timeout applies per request, not to the whole listing', async () => {
    const issue = newIssue();
    for (let i = 0; i < 120; i++) {
      await octokit.rest.issues.createComment({
        owner,
        repo: name,
        issue_number: issue,
        body: `chat ${i}`,
      });
    }
    await activities().upsertIssueComment(input(issue));
    github.fail({ delayMs: 150, match: { method: 'GET' } });

    const result = await activities({ timeoutMs: 250 }).upsertIssueComment(
      input(issue, { body: 'v2' }),
    );

    expect(result).toMatchObject({ created: false });
  });

  it('the token is in no recorded request header', async () => {
    const issue = newIssue();
    github.fail({ status: 500, times: 1 });
    await failure(activities().upsertIssueComment(input(issue)));
    await activities().upsertIssueComment(input(issue));

    expect(github.requests.length).toBeGreaterThan(0);
    for (const request of github.requests) {
      expect(JSON.stringify(request.headers)).not.toContain(TOKEN);
    }
  });
});
