import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';

/**
 * What clients see of the wire where Fastify's own defaults would answer differently: its
 * JSON parser, its 404, HEAD routes, its content-type checks and its body limit.
 */

const TOKEN = 'ghp_local_wire_token';
const owner = 'acme';
const repo = 'shop';

let github: LocalGithub;

beforeAll(async () => {
  github = await startLocalGithub({ token: TOKEN });
});

afterAll(async () => {
  await github.close();
});

async function call(method: string, path: string, headers: object = {}, body?: string) {
  const response = await fetch(`${github.url}${path}`, {
    method,
    headers: { authorization: `token ${TOKEN}`, ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    data: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

const commentsPath = (issue: number): string => `/repos/${owner}/${repo}/issues/${issue}/comments`;

const githubError = (status: number, message: string) => ({
  message,
  documentation_url: 'https://docs.github.com/rest',
  status: String(status),
});

describe('the local GitHub server on the wire', () => {
  it("answers a body that is not JSON with GitHub's 400, and records its text", async () => {
    const issue = github.createIssue(owner, repo, 'Wire');
    const answer = await call(
      'POST',
      commentsPath(issue),
      { 'content-type': 'application/json' },
      '{oops',
    );
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.data).toEqual(githubError(400, 'Problems parsing JSON'));
    expect(github.requests.at(-1)).toMatchObject({ status: 400, body: '{oops' });
  });

  it('reads a JSON body whatever its content type says, even a malformed one', async () => {
    const issue = github.createIssue(owner, repo, 'Wire');
    for (const contentType of ['text/plain', 'no/such/type;;']) {
      const answer = await call(
        'POST',
        commentsPath(issue),
        { 'content-type': contentType },
        JSON.stringify({ body: contentType }),
      );
      expect(answer.status).toBe(201);
    }
    expect(github.comments(owner, repo, issue).map((c) => c.body)).toEqual([
      'text/plain',
      'no/such/type;;',
    ]);
  });

  it('treats an empty JSON body as no fields: 422 naming the missing one', async () => {
    const issue = github.createIssue(owner, repo, 'Wire');
    const answer = await call(
      'POST',
      commentsPath(issue),
      { 'content-type': 'application/json' },
      '',
    );
    expect(answer.status).toBe(422);
    expect(answer.data).toMatchObject({ errors: [{ field: 'body', code: 'missing_field' }] });
  });

  it("answers 422 for a body far over Fastify's default limit, as GitHub does", async () => {
    const issue = github.createIssue(owner, repo, 'Wire');
    const body = JSON.stringify({ body: 'x'.repeat(2 * 1024 * 1024) });
    const answer = await call(
      'POST',
      commentsPath(issue),
      { 'content-type': 'application/json' },
      body,
    );
    expect(answer.status).toBe(422);
    expect(answer.data).toMatchObject({ errors: [{ code: 'unprocessable', field: 'data' }] });
  });

  it("answers a route it does not serve with GitHub's 404, and says it is not implemented", async () => {
    const unserved = await call('GET', `/repos/${owner}/${repo}/branches`);
    expect(unserved.status).toBe(404);
    expect(unserved.headers.get('x-local-github')).toBe('not-implemented');
    expect(unserved.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(unserved.data).toEqual(githubError(404, 'Not Found'));

    const unknown = await call('GET', '/no/such/route');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-local-github')).toBeNull();
    expect(unknown.data).toEqual(githubError(404, 'Not Found'));
    expect(github.requests.at(-1)).toMatchObject({ method: 'GET', path: '/no/such/route' });
  });

  it('has no HEAD routes, as GitHub has none, and still checks the token there', async () => {
    expect((await call('HEAD', '/user')).status).toBe(404);
    const anonymous = await fetch(`${github.url}/repos/${owner}/${repo}/branches`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual(githubError(401, 'Requires authentication'));
  });

  it('routes a path with a trailing or doubled slash as the plain one', async () => {
    expect((await call('GET', '/user/')).status).toBe(200);
    expect((await call('GET', '//rate_limit')).status).toBe(200);
  });

  it('meets faults on routes it does not serve, resets included', async () => {
    github.fail({ reset: true, times: 1, match: { path: /\/branches$/ } });
    await expect(call('GET', `/repos/${owner}/${repo}/branches`)).rejects.toThrow();
    expect(github.requests.at(-1)).toMatchObject({ status: 0, fault: { reset: true } });
  });
});
