import { Octokit } from '@octokit/rest';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';

const TOKEN = 'ghp_local_limits_token';
const owner = 'acme';
const repo = 'shop';
const LIMIT = 65_536;

let github: LocalGithub;
let octokit: Octokit;

beforeAll(async () => {
  github = await startLocalGithub({ token: TOKEN });
  octokit = new Octokit({ auth: TOKEN, baseUrl: github.url, request: { retries: 0 } });
});

afterAll(async () => {
  await github.close();
});

/** The status and body GitHub answered `promise` with, whether it succeeded or not. */
async function answer(promise: Promise<{ status: number }>) {
  try {
    return { status: (await promise).status, data: undefined };
  } catch (error) {
    const { status, response } = error as { status: number; response?: { data: unknown } };
    return { status, data: response?.data };
  }
}

const tooLong = (resource: string) => ({
  message: 'Validation Failed',
  errors: [
    {
      resource,
      code: 'unprocessable',
      field: 'data',
      message: `Body is too long (maximum is ${LIMIT} characters)`,
    },
  ],
  documentation_url: expect.stringMatching(/^https:\/\/docs\.github\.com\//),
  status: '422',
});

describe('the local GitHub server refuses bodies over 65,536 characters, as GitHub does', () => {
  it('creates a comment of 65,536 characters and refuses one of 65,537', async () => {
    const issue_number = github.createIssue(owner, repo, 'Sprint');
    const create = (body: string) =>
      answer(octokit.rest.issues.createComment({ owner, repo, issue_number, body }));

    expect(await create('x'.repeat(LIMIT))).toEqual({ status: 201, data: undefined });
    expect(await create('x'.repeat(LIMIT + 1))).toEqual({
      status: 422,
      data: tooLong('IssueComment'),
    });
    expect(github.comments(owner, repo, issue_number)).toHaveLength(1);
  });

  it('refuses an edit over the limit and keeps the comment as it was', async () => {
    const issue_number = github.createIssue(owner, repo, 'Sprint');
    const { data } = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number,
      body: 'v1',
    });
    const update = (body: string) =>
      answer(octokit.rest.issues.updateComment({ owner, repo, comment_id: data.id, body }));

    expect((await update('y'.repeat(LIMIT + 1))).status).toBe(422);
    expect(github.comments(owner, repo, issue_number)[0]?.body).toBe('v1');
    expect((await update('y'.repeat(LIMIT))).status).toBe(200);
  });

  it('counts characters, not UTF-16 units or bytes: 65,536 emoji are accepted', async () => {
    const issue_number = github.createIssue(owner, repo, 'Sprint');
    const create = (body: string) =>
      answer(octokit.rest.issues.createComment({ owner, repo, issue_number, body }));

    expect((await create('🚀'.repeat(LIMIT))).status).toBe(201);
    expect((await create('🚀'.repeat(LIMIT) + 'x')).status).toBe(422);
  });

  it('holds issues and pull requests to the same limit', async () => {
    const issue = answer(
      octokit.rest.issues.create({ owner, repo, title: 'Big', body: 'z'.repeat(LIMIT + 1) }),
    );
    expect(await issue).toEqual({ status: 422, data: tooLong('Issue') });

    const pull = (body: string) =>
      answer(octokit.rest.pulls.create({ owner, repo, title: 'T', head: 'h', base: 'main', body }));
    expect(await pull('p'.repeat(LIMIT + 1))).toEqual({
      status: 422,
      data: tooLong('PullRequest'),
    });
    const opened = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'T',
      head: 'h',
      base: 'main',
      body: 'p'.repeat(LIMIT),
    });
    const update = octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: opened.data.number,
      body: 'p'.repeat(LIMIT + 1),
    });
    expect(await answer(update)).toEqual({ status: 422, data: tooLong('PullRequest') });
  });
});
