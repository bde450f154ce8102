import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { pushBranches } from '../../src/activities/git-push';
import { makeSandbox, rev, writeAndCommit } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';
import { addBareRemote, pushFromElsewhere, receiveHook, remoteTip } from '../support/git-remote';

jest.setTimeout(30_000);

let box: Sandbox;
let bare: string;

beforeEach(async () => {
  box = await makeSandbox();
  bare = await addBareRemote(box);
});

afterEach(async () => {
  await box.cleanup();
});

const BRANCH = 'sprintwave/s1/integration';

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure))
    throw new Error(`expected a failure, got ${String(error)}`);
  return error;
}

describe('pushBranches', () => {
  it('creates the remote branch at the commit, then fast-forwards it', async () => {
    const first = await rev(box.git, 'HEAD');
    const created = await pushBranches({
      repo: box.repo,
      remote: 'origin',
      branches: [{ branch: BRANCH, commit: first }],
    });
    expect(created).toEqual({
      remote: 'origin',
      pushed: [{ branch: BRANCH, commit: first, unchanged: false }],
    });
    expect(await remoteTip(bare, BRANCH)).toBe(first);

    const second = await writeAndCommit(box.repo, 'more.txt', 'more\n');
    const forwarded = await pushBranches({
      repo: box.repo,
      remote: 'origin',
      branches: [{ branch: BRANCH, commit: second }],
    });
    expect(forwarded.pushed[0]?.unchanged).toBe(false);
    expect(await remoteTip(bare, BRANCH)).toBe(second);
  });

  it('does not push again a commit the remote already has', async () => {
    const log = await receiveHook(bare);
    const commit = await rev(box.git, 'HEAD');
    const input = { repo: box.repo, remote: 'origin', branches: [{ branch: BRANCH, commit }] };
    await pushBranches(input);
    const again = await pushBranches(input);
    expect(again.pushed).toEqual([{ branch: BRANCH, commit, unchanged: true }]);
    const received = (await readFile(log, 'utf8')).trim().split('\n');
    expect(received).toHaveLength(1);
    expect(received[0]).toContain(`refs/heads/${BRANCH}`);
  });

  it('pushes several branches in one go, leaving those already there alone', async () => {
    const base = await rev(box.git, 'HEAD');
    await pushBranches({
      repo: box.repo,
      remote: 'origin',
      branches: [{ branch: 'sprintwave/s1/WP01', commit: base }],
    });
    const tip = await writeAndCommit(box.repo, 'wp02.txt', 'x\n');
    const result = await pushBranches({
      repo: box.repo,
      remote: 'origin',
      branches: [
        { branch: BRANCH, commit: tip },
        { branch: 'sprintwave/s1/WP01', commit: base },
        { branch: 'sprintwave/s1/WP02', commit: tip },
      ],
    });
    expect(result.pushed.map((p) => p.unchanged)).toEqual([false, true, false]);
    expect(await remoteTip(bare, BRANCH)).toBe(tip);
    expect(await remoteTip(bare, 'sprintwave/s1/WP02')).toBe(tip);
  });

  it('reports a remote branch that moved, and never forces it', async () => {
    const theirs = await pushFromElsewhere(box, bare, BRANCH);
    const ours = await rev(box.git, 'HEAD');
    const failure = await failureOf(
      pushBranches({
        repo: box.repo,
        remote: 'origin',
        branches: [{ branch: BRANCH, commit: ours }],
      }),
    );
    expect(failure.type).toBe('RemoteMoved');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`origin's ${BRANCH} moved (now ${theirs.slice(0, 7)})`);
    expect(failure.message).toMatch(
      /fetch it and merge it .*, or delete the remote branch, then retry/,
    );
    expect(await remoteTip(bare, BRANCH)).toBe(theirs);
  });

  it('says so when the remote refuses the push (a protected branch)', async () => {
    await receiveHook(bare, true);
    const commit = await rev(box.git, 'HEAD');
    const failure = await failureOf(
      pushBranches({ repo: box.repo, remote: 'origin', branches: [{ branch: BRANCH, commit }] }),
    );
    expect(failure.type).toBe('PushRefused');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('protected branch: pushes are refused');
    expect(await remoteTip(bare, BRANCH)).toBeUndefined();
  });

  it('names a missing remote and how to add it', async () => {
    const commit = await rev(box.git, 'HEAD');
    const failure = await failureOf(
      pushBranches({ repo: box.repo, remote: 'upstream', branches: [{ branch: BRANCH, commit }] }),
    );
    expect(failure.type).toBe('NoSuchRemote');
    expect(failure.message).toContain("no remote 'upstream'");
    expect(failure.message).toContain('git remote add upstream');
  });

  it('leaves an unreachable remote to Temporal’s retries', async () => {
    await box.git.raw(['remote', 'add', 'unreachable', 'http://127.0.0.1:9/x.git']);
    const commit = await rev(box.git, 'HEAD');
    const failure = await failureOf(
      pushBranches({
        repo: box.repo,
        remote: 'unreachable',
        branches: [{ branch: BRANCH, commit }],
      }),
    );
    expect(failure.type).toBe('RemoteUnavailable');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('reading unreachable failed');
  });

  it('refuses names git would read as options, before running git', async () => {
    const commit = await rev(box.git, 'HEAD');
    const badRemote = await failureOf(
      pushBranches({ repo: box.repo, remote: '--exec=x', branches: [{ branch: BRANCH, commit }] }),
    );
    expect(badRemote.type).toBe('UnsafeId');
    const badBranch = await failureOf(
      pushBranches({ repo: box.repo, remote: 'origin', branches: [{ branch: '-f', commit }] }),
    );
    expect(badBranch.type).toBe('UnsafeId');
    const forced = await failureOf(
      pushBranches({
        repo: box.repo,
        remote: 'origin',
        branches: [{ branch: BRANCH, commit: `+${commit}` }],
      }),
    );
    expect(forced.type).toBe('UnsafeId');
    expect(existsSync(`${bare}/refs/heads/sprintwave`)).toBe(false);
  });

  it('ignores a GIT_DIR left in the environment by a git hook', async () => {
    const commit = await rev(box.git, 'HEAD');
    process.env.GIT_DIR = '/nonexistent/.git';
    try {
      await pushBranches({
        repo: box.repo,
        remote: 'origin',
        branches: [{ branch: BRANCH, commit }],
      });
    } finally {
      delete process.env.GIT_DIR;
    }
    expect(await remoteTip(bare, BRANCH)).toBe(commit);
  });
});
