import { Octokit } from '@octokit/rest';
import { validateRequest } from '../../src/devtools/github-local/openapi';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';

const TOKEN = 'ghp_local_test_token';
const owner = 'acme';
const repo = 'shop';

let github: LocalGithub;
let octokit: Octokit;

beforeAll(async () => {
  github = await startLocalGithub({ token: TOKEN, login: 'sprintwave-bot' });
  // v20 has no retry plugin; `retries: 0` keeps that true if one is ever added.
  octokit = new Octokit({ auth: TOKEN, baseUrl: github.url, request: { retries: 0 } });
});

afterEach(() => {
  github.clearFaults();
  github.up();
});

afterAll(async () => {
  await github.close();
});

/** What octokit's RequestError carries (`@octokit/request-error` is not a direct dependency). */
interface RequestError extends Error {
  status: number;
  response?: { headers: Record<string, string | undefined>; data: unknown };
}

/** The RequestError `promise` rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<RequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error && error.name === 'HttpError' && 'status' in error)) {
    throw new Error(`expected octokit's RequestError, got ${String(error)}`);
  }
  return error as RequestError;
}

// Typed as a plain string so the compiler lets through the bodies GitHub must reject.
const CREATE_COMMENT: string = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';

const listComments = (issue_number: number, request?: object) =>
  octokit.rest.issues.listComments({ owner, repo, issue_number, request });

describe('issues and comments', () => {
  it('creates, reads, lists, updates and deletes a comment', async () => {
    const issue = github.createIssue(owner, repo, 'Sprint 1');

    const created = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: issue,
      body: 'v1',
    });
    expect(created.status).toBe(201);
    const comment = created.data;
    expect(comment).toMatchObject({
      body: 'v1',
      user: { login: 'sprintwave-bot' },
      url: `${github.url}/repos/${owner}/${repo}/issues/comments/${comment.id}`,
      issue_url: `${github.url}/repos/${owner}/${repo}/issues/${issue}`,
    });
    expect(comment.node_id).toEqual(expect.any(String));
    expect(comment.html_url).toContain(`#issuecomment-${comment.id}`);
    expect(comment.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const updated = await octokit.rest.issues.updateComment({
      owner,
      repo,
      comment_id: comment.id,
      body: 'v2',
    });
    expect(updated.status).toBe(200);
    expect(updated.data.body).toBe('v2');
    expect(github.comments(owner, repo, issue).map((c) => c.body)).toEqual(['v2']);

    const fetched = await octokit.rest.issues.getComment({ owner, repo, comment_id: comment.id });
    expect(fetched.data).toMatchObject({ id: comment.id, body: 'v2' });
    const listed = await listComments(issue);
    expect(listed.data.map((c) => c.id)).toEqual([comment.id]);

    const deleted = await octokit.rest.issues.deleteComment({
      owner,
      repo,
      comment_id: comment.id,
    });
    expect(deleted.status).toBe(204);
    expect(github.comments(owner, repo, issue)).toEqual([]);
    const gone = await rejection(
      octokit.rest.issues.getComment({ owner, repo, comment_id: comment.id }),
    );
    expect(gone.status).toBe(404);
  });

  it('creates and reads an issue', async () => {
    const created = await octokit.rest.issues.create({ owner, repo, title: 'Sprint 2' });
    expect(created.status).toBe(201);
    const { data } = await octokit.rest.issues.get({
      owner,
      repo,
      issue_number: created.data.number,
    });
    expect(data).toMatchObject({ number: created.data.number, title: 'Sprint 2', state: 'open' });
    expect(data.html_url).toContain(`/${owner}/${repo}/issues/${data.number}`);
  });

  it('answers 404 for an issue that was never created', async () => {
    const error = await rejection(listComments(9999));
    expect(error.status).toBe(404);
    expect(error.response?.data).toMatchObject({ message: 'Not Found' });
  });

  it('pages comments with a Link header that octokit.paginate follows', async () => {
    const issue = github.createIssue(owner, repo, 'Many comments');
    for (let i = 0; i < 150; i++) {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body: `c${i}` });
    }
    const first = await octokit.rest.issues.listComments({
      owner,
      repo,
      issue_number: issue,
      per_page: 50,
    });
    expect(first.data).toHaveLength(50);
    expect(first.headers.link).toContain('page=2>; rel="next"');
    expect(first.headers.link).toContain('page=3>; rel="last"');

    const before = github.requests.length;
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: issue,
      per_page: 50,
    });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 150 }, (_, i) => `c${i}`));
    expect(github.requests.length - before).toBe(3);
  });

  it('answers with GitHub headers', async () => {
    const { headers } = await octokit.rest.rateLimit.get();
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['x-github-request-id']).toMatch(/^[0-9A-F]+(:[0-9A-F]+){4}$/);
    for (const name of [
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'x-ratelimit-used',
    ]) {
      expect(Number(headers[name])).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('pull requests', () => {
  it('opens one PR per head and base, lists it by head, and closes it', async () => {
    const head = `${owner}:sprint/pr-test`;
    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Sprint',
      head,
      base: 'main',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      state: 'open',
      head: { ref: 'sprint/pr-test' },
      base: { ref: 'main' },
    });

    const duplicate = await rejection(
      octokit.rest.pulls.create({ owner, repo, title: 'Again', head, base: 'main' }),
    );
    expect(duplicate.status).toBe(422);
    expect(duplicate.message).toContain('A pull request already exists');

    const open = await octokit.rest.pulls.list({ owner, repo, head, state: 'open' });
    expect(open.data.map((p) => p.number)).toEqual([created.data.number]);

    const pull_number = created.data.number;
    const closed = await octokit.rest.pulls.update({ owner, repo, pull_number, state: 'closed' });
    expect(closed.data.state).toBe('closed');
    expect((await octokit.rest.pulls.list({ owner, repo, head, state: 'open' })).data).toEqual([]);
  });
});

describe('authentication', () => {
  it('answers 401 for a wrong or missing token and never records the token', async () => {
    const wrong = new Octokit({ auth: 'not-the-token', baseUrl: github.url });
    const bad = await rejection(wrong.rest.users.getAuthenticated());
    expect(bad.status).toBe(401);
    expect(bad.message).toContain('Bad credentials');
    const anonymous = new Octokit({ baseUrl: github.url });
    expect((await rejection(anonymous.rest.users.getAuthenticated())).status).toBe(401);

    const { data } = await anonymous.request('GET /user', {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(data.login).toBe('sprintwave-bot');

    expect(JSON.stringify(github.requests)).not.toContain(TOKEN);
    expect(JSON.stringify(github.requests)).not.toContain('not-the-token');
    expect(github.requests.at(-1)?.headers.authorization).toBe('[redacted]');
  });
});

describe('OpenAPI validation', () => {
  it('answers 422 naming a missing body field', async () => {
    const issue_number = github.createIssue(owner, repo, 'Validation');
    const error = await rejection(octokit.request(CREATE_COMMENT, { owner, repo, issue_number }));
    expect(error.status).toBe(422);
    expect(error.response?.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ field: 'body', code: 'missing_field' }],
    });
    expect(github.comments(owner, repo, issue_number)).toEqual([]);
  });

  it('answers 422 naming a body field of the wrong type', async () => {
    const issue_number = github.createIssue(owner, repo, 'Validation');
    const error = await rejection(
      octokit.request(CREATE_COMMENT, {
        owner,
        repo,
        issue_number,
        body: 42,
      }),
    );
    expect(error.status).toBe(422);
    expect(error.response?.data).toMatchObject({ errors: [{ field: 'body', code: 'invalid' }] });
  });

  it('answers 404 for a path or method GitHub does not have', async () => {
    const unknownPath = await rejection(
      octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner, repo }),
    );
    expect(unknownPath.status).toBe(404);
    const unknownMethod = await rejection(
      octokit.request('PUT /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        owner,
        repo,
        comment_id: 1,
      }),
    );
    expect(unknownMethod.status).toBe(404);
  });

  it('prefers literal segments, as GitHub routes', () => {
    const match = validateRequest('GET', '/repos/a/b/issues/comments/7', undefined);
    expect(match).toMatchObject({ ok: true, operation: { operationId: 'issues/get-comment' } });
    const issue = validateRequest('GET', '/repos/a/b/issues/7', undefined);
    expect(issue).toMatchObject({ ok: true, operation: { operationId: 'issues/get' } });
  });

  it('checks top-level types through oneOf and $ref', () => {
    expect(validateRequest('POST', '/repos/a/b/issues', { title: 7 }).ok).toBe(true);
    const result = validateRequest('POST', '/repos/a/b/issues', {
      title: 'x',
      labels: 'bug',
      milestone: null,
    });
    expect(result).toMatchObject({
      ok: false,
      status: 422,
      errors: [{ field: 'labels', code: 'invalid' }],
    });
  });

  it('can be turned off', async () => {
    const lax = await startLocalGithub({ validate: false });
    try {
      const client = new Octokit({ baseUrl: lax.url });
      const issue_number = lax.createIssue(owner, repo, 'Lax');
      await client.rest.issues.createComment({ owner, repo, issue_number, body: 'ok' });
      expect(lax.comments(owner, repo, issue_number)).toHaveLength(1);
      expect((await rejection(client.request('GET /nowhere'))).status).toBe(404);
    } finally {
      await lax.close();
    }
  });
});

describe('faults', () => {
  it('answers a 500 once, then normally', async () => {
    const issue = github.createIssue(owner, repo, 'Faults');
    github.fail({ status: 500, times: 1 });
    const error = await rejection(listComments(issue));
    expect(error.status).toBe(500);
    expect(error.response?.data).toMatchObject({ message: 'Server Error' });
    expect((await listComments(issue)).status).toBe(200);
    expect(github.requests.at(-2)).toMatchObject({ status: 500, fault: { status: 500 } });
  });

  it('resets the connection; octokit v20 reports it as status 500 without a response', async () => {
    const issue = github.createIssue(owner, repo, 'Faults');
    github.fail({ reset: true, times: 1 });
    const error = await rejection(listComments(issue));
    expect(error.status).toBe(500);
    expect(error.response).toBeUndefined();
    expect(github.requests.at(-1)).toMatchObject({ status: 0, fault: { reset: true } });
  });

  it('answers late, so a client timeout fires (v20 needs a signal; `timeout` is ignored)', async () => {
    const issue = github.createIssue(owner, repo, 'Faults');
    github.fail({ delayMs: 60_000, times: 1 });
    const error = await rejection(
      listComments(issue, { timeout: 1000, signal: AbortSignal.timeout(300) }),
    );
    expect(error.message).toContain('aborted due to timeout');
    expect(error.response).toBeUndefined();
    // The client gave up while the server still held its answer back.
    expect(github.requests.at(-1)).toMatchObject({ status: 0, fault: { delayMs: 60_000 } });

    github.fail({ delayMs: 300, times: 1 });
    const ignored = await listComments(issue, { timeout: 50 });
    expect(ignored.status).toBe(200);
  });

  it('answers a secondary rate limit with retry-after', async () => {
    github.fail({ retryAfter: 60, times: 1 });
    const error = await rejection(octokit.rest.users.getAuthenticated());
    expect(error.status).toBe(403);
    expect(error.response?.headers['retry-after']).toBe('60');
    expect(error.message).toContain('secondary rate limit');
  });

  it.each([403, 429])(
    'answers a primary rate limit as %i with x-ratelimit-reset',
    async (status) => {
      const reset = Math.floor(Date.now() / 1000) + 120;
      github.fail({ status, rateLimitReset: reset, times: 1 });
      const error = await rejection(octokit.rest.users.getAuthenticated());
      expect(error.status).toBe(status);
      expect(error.response?.headers).toMatchObject({
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
      });
    },
  );

  it('applies faults in order, each `times` requests, only where they match', async () => {
    const issue = github.createIssue(owner, repo, 'Faults');
    github.fail({ status: 502, times: 2, match: { method: 'GET', path: /\/comments$/ } });
    github.fail({ status: 404, times: 1, match: { method: 'GET' } });
    await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: issue,
      body: 'not matched by the 502',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        await listComments(issue).then(
          (r) => r.status,
          (e: RequestError) => e.status,
        ),
      );
    }
    expect(statuses).toEqual([502, 502, 404, 200]);
  });

  it('answers 503 to everything while down', async () => {
    github.down();
    expect((await rejection(octokit.rest.rateLimit.get())).status).toBe(503);
    github.up();
    expect((await octokit.rest.rateLimit.get()).status).toBe(200);
  });
});
