import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import { prepareWorktree } from '../../src/activities/git';
import type { PreparedWorktree } from '../../src/activities/git';
import { branchRecordPath } from '../../src/activities/git-records';

/** The fixtures commit as this user without touching any config file. */
// (Commands are left verbose: simple-git adds 50 ms to every git process that prints nothing.)
const FIXTURE_IDENTITY = ['user.name=fixture', 'user.email=fixture@example.test'];

export interface Sandbox {
  dir: string;
  repo: string;
  worktreeRoot: string;
  git: SimpleGit;
  cleanup(): Promise<void>;
}

/** A temp dir with a repository on `main` holding README.md and shared.txt. */
export async function makeSandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-git-'));
  const repo = path.join(dir, 'repo');
  await simpleGit(dir).raw(['init', '-b', 'main', repo]);
  const git = fixtureGit(repo);
  await writeFile(path.join(repo, 'README.md'), '# demo\n');
  await writeFile(path.join(repo, 'shared.txt'), 'value=0\n');
  await commitAll(git, 'initial');
  return {
    dir,
    repo,
    worktreeRoot: path.join(dir, 'worktrees'),
    git,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export function fixtureGit(dir: string): SimpleGit {
  return simpleGit({ baseDir: dir, config: FIXTURE_IDENTITY });
}

export async function commitAll(git: SimpleGit, message: string): Promise<string> {
  await git.raw(['add', '--all', '--verbose']);
  await git.raw(['commit', '-m', message]);
  return (await git.raw(['rev-parse', 'HEAD'])).trim();
}

export async function writeAndCommit(
  dir: string,
  file: string,
  content: string,
  message = `edit ${file}`,
): Promise<string> {
  await writeFile(path.join(dir, file), content);
  return commitAll(fixtureGit(dir), message);
}

export async function read(dir: string, file: string): Promise<string> {
  return readFile(path.join(dir, file), 'utf8');
}

export async function rev(git: SimpleGit, ref: string): Promise<string> {
  return (await git.raw(['rev-parse', ref])).trim();
}

export async function commitCount(git: SimpleGit, ref = 'HEAD'): Promise<number> {
  return Number((await git.raw(['rev-list', '--count', ref])).trim());
}

/** Where sprintwave keeps what it knows about `branch` (owner, base commit) in `repo`. */
export async function recordPath(repo: string, branch: string): Promise<string> {
  return branchRecordPath(await realpath(path.join(repo, '.git')), branch);
}

export async function branchRecord(repo: string, branch: string): Promise<unknown> {
  return JSON.parse(await readFile(await recordPath(repo, branch), 'utf8'));
}

/** Package `wpId` of sprint `s1` in the sandbox: its branch from `main` and its worktree. */
export function preparePackage(
  box: Sandbox,
  wpId: string,
  dependencyBranches: string[] = [],
): Promise<PreparedWorktree> {
  return prepareWorktree({
    repo: box.repo,
    sprintId: 's1',
    wpId,
    base: 'main',
    dependencyBranches,
    worktreeRoot: box.worktreeRoot,
    owner: 'run-1',
  });
}
