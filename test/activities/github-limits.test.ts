import { ApplicationFailure } from '@temporalio/common';
import { createGithubActivities } from '../../src/activities/github';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';

const TOKEN = 'secret-token';
const owner = 'acme';
const name = 'shop';

let github: LocalGithub;

beforeAll(async () => {
  github = await startLocalGithub({ token: TOKEN });
});

afterAll(async () => {
  await github.close();
});

/** The ApplicationFailure `promise` rejects with; fails when it resolves. */
async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure)) {
    throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  }
  return error;
}

describe('a comment body GitHub refuses as too long', () => {
  it('is GithubRejected and not retried: one write, and the comment keeps its last body', async () => {
    const issue = github.createIssue(owner, name, 'Sprint');
    const { upsertIssueComment } = createGithubActivities({ token: TOKEN, apiUrl: github.url });
    const input = { sprintId: 's1', repo: `${owner}/${name}`, issue, kind: 'progress' };
    await upsertIssueComment({ ...input, body: 'v1' });

    const before = github.requests.length;
    const error = await failure(upsertIssueComment({ ...input, body: 'x'.repeat(65_536) }));

    expect(error).toMatchObject({ type: 'GithubRejected', nonRetryable: true });
    expect(error.message).toContain('Body is too long (maximum is 65536 characters)');
    const writes = github.requests.slice(before).filter((r) => r.method !== 'GET');
    expect(writes.map((r) => [r.method, r.status])).toEqual([['PATCH', 422]]);
    expect(github.comments(owner, name, issue)[0]?.body).toMatch(/^v1\n\n<!-- sprintwave:/);
  });
});
