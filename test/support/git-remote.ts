import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { commitAll, fixtureGit } from './git-fixtures';
import type { Sandbox } from './git-fixtures';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { startHarness } from './sprint-harness';
import type { Harness } from './sprint-harness';

/** A bare repository in the sandbox, added to its repository as `name`. */
export async function addBareRemote(box: Sandbox, name = 'origin'): Promise<string> {
  const bare = path.join(box.dir, `${name}.git`);
  await simpleGit(box.dir).raw(['init', '--bare', '--initial-branch=main', bare]);
  await box.git.raw(['remote', 'add', name, bare]);
  return bare;
}

/** Where `branch` is in the bare repository; undefined when it has no such branch. */
export async function remoteTip(bare: string, branch: string): Promise<string | undefined> {
  // `--quiet` prints nothing for a missing ref; simple-git then resolves with ''.
  const out = await simpleGit(bare).raw([
    'rev-parse',
    '--verify',
    '--quiet',
    `refs/heads/${branch}`,
  ]);
  return out.trim() || undefined;
}

/** Someone else pushes a commit unrelated to the sandbox's history to `branch`. */
export async function pushFromElsewhere(
  box: Sandbox,
  bare: string,
  branch: string,
): Promise<string> {
  const elsewhere = path.join(box.dir, `elsewhere-${Date.now()}`);
  await simpleGit(box.dir).raw(['init', '-b', 'other', elsewhere]);
  await writeFile(path.join(elsewhere, 'theirs.txt'), 'their work\n');
  const commit = await commitAll(fixtureGit(elsewhere), 'their work');
  await simpleGit(elsewhere).raw(['push', bare, `HEAD:refs/heads/${branch}`]);
  return commit;
}

/** A hook in the bare repository that logs each push it receives and may refuse them all. */
export async function receiveHook(bare: string, refuse = false): Promise<string> {
  const log = path.join(bare, 'received.log');
  const hook = path.join(bare, 'hooks', 'pre-receive');
  const verdict = refuse ? 'echo "protected branch: pushes are refused" >&2; exit 1' : 'exit 0';
  await writeFile(hook, `#!/bin/sh\ncat >> '${log}'\n${verdict}\n`);
  await chmod(hook, 0o755);
  return log;
}

/**
 * A sprint harness whose repository has a bare remote `origin` (with `main` pushed) and a local
 * GitHub that knows exactly the branches that remote has: a pull request needs a real push.
 */
export async function startRemoteAndGithub(
  token: string,
): Promise<{ github: LocalGithub; harness: Harness; bare: string }> {
  let bare = '';
  const github = await startLocalGithub({
    token,
    hasBranch: async (_owner, _repo, branch) => (await remoteTip(bare, branch)) !== undefined,
  });
  const harness = await startHarness({ GITHUB_API_URL: github.url, GITHUB_TOKEN: token });
  bare = await addBareRemote(harness.sandbox);
  await harness.sandbox.git.raw(['push', 'origin', 'main']);
  return { github, harness, bare };
}
