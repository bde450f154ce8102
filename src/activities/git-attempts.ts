/**
 * Each attempt at a package starts from the package's clean base. What an earlier attempt left
 * in the worktree (its commits and its uncommitted files) is kept under
 * `refs/sprintwave/<sprint>/<wp>/attempt-<n>` first: sprintwave never deletes those refs.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitExitError, identityConfig, openRepository, runGit, withLockRetry } from './git-exec';
import { headCommit, worktreeStatus } from './git-ops';

/** Where the work of one attempt at a package is kept. */
export function attemptRef(sprintId: string, wpId: string, attempt: number): string {
  return `${attemptRefPrefix(sprintId, wpId)}attempt-${attempt}`;
}

function attemptRefPrefix(sprintId: string, wpId: string): string {
  return `refs/sprintwave/${sprintId}/${wpId}/`;
}

export interface ResetAttemptInput {
  worktree: string;
  /** The package's branch, checked out in the worktree. */
  branch: string;
  /** The prepared state: the base with the dependencies merged. */
  baseCommit: string;
  /** Where to keep what the earlier attempt left, when it left anything. */
  keepAs: string;
  /** For the kept commit's message: `sprintwave: WP03 attempt 2 as it was left`. */
  label: string;
}

/**
 * Keeps the worktree's state under `keepAs` unless it is the clean base, then resets the
 * worktree to the base: the branch at `baseCommit`, no uncommitted or untracked file left.
 * Returns the ref when something was kept. Safe to run again after a crash at any point.
 */
export async function resetToBase(input: ResetAttemptInput): Promise<string | undefined> {
  const { worktree, branch, baseCommit } = input;
  const onBranch = await symbolicHead(worktree);
  const head = await headCommit(worktree);
  const dirty = (await worktreeStatus(worktree)).length > 0;
  let kept: string | undefined;
  if (dirty || head !== baseCommit || onBranch !== `refs/heads/${branch}`) {
    const commit = dirty ? await snapshot(worktree, input.label) : head;
    if (commit !== baseCommit) {
      await withLockRetry(() => runGit(worktree, ['update-ref', input.keepAs, commit]));
      kept = input.keepAs;
    }
  }
  if (onBranch !== `refs/heads/${branch}`) {
    // Left mid-rebase, or on another branch: back to the package's own, whatever its state.
    await runGit(worktree, ['rebase', '--quit']).catch(() => undefined);
    await withLockRetry(() => runGit(worktree, ['checkout', '--force', '--quiet', branch]));
  }
  await withLockRetry(() => runGit(worktree, ['reset', '--hard', '--quiet', baseCommit]));
  // Ignored files too: the attempt then sees exactly what a fresh worktree would hold.
  await runGit(worktree, ['clean', '-ffdxq']);
  return kept;
}

/** The refs that keep earlier attempts of a package, oldest first. */
export async function keptAttempts(dir: string, sprintId: string, wpId: string): Promise<string[]> {
  const prefix = attemptRefPrefix(sprintId, wpId);
  const out = await runGit(dir, ['for-each-ref', '--format=%(refname)', prefix]);
  const number = (ref: string): number => Number(ref.slice(ref.lastIndexOf('-') + 1));
  return out
    .split('\n')
    .filter((ref) => ref.startsWith(`${prefix}attempt-`))
    .sort((a, b) => number(a) - number(b));
}

async function symbolicHead(worktree: string): Promise<string | undefined> {
  try {
    return (await runGit(worktree, ['symbolic-ref', '--quiet', 'HEAD'])).trim();
  } catch (err) {
    if (err instanceof GitExitError) return undefined; // detached
    throw err;
  }
}

/** A commit of the worktree as it is (untracked files included), on top of HEAD; nothing moves. */
async function snapshot(worktree: string, label: string): Promise<string> {
  const index = path.join(os.tmpdir(), `sprintwave-attempt-${randomUUID()}.index`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await runGit(worktree, ['read-tree', 'HEAD'], { env });
    await runGit(worktree, ['add', '--all'], { env });
    const tree = (await runGit(worktree, ['write-tree'], { env })).trim();
    const identity = await identityConfig(await openRepository(worktree));
    const args = ['commit-tree', tree, '-p', 'HEAD', '-m', label];
    return (await runGit(worktree, args, { config: identity })).trim();
  } finally {
    await rm(index, { force: true });
  }
}

/**
 * Removes the lock files an earlier attempt left when it was killed inside a git command
 * (`index.lock`, `HEAD.lock`, the branch's ref lock). Called once that attempt is stopped: the
 * fence lets nobody else write in this worktree or its branch, so any such lock is stale.
 */
export async function removeStaleLocks(worktree: string, branch: string): Promise<void> {
  const gitDir = await worktreeGitDir(worktree);
  const { commonDir } = await openRepository(worktree);
  const locks = [
    path.join(gitDir, 'index.lock'),
    path.join(gitDir, 'HEAD.lock'),
    path.join(commonDir, 'refs', 'heads', `${branch}.lock`),
  ];
  await Promise.all(locks.map((lock) => rm(lock, { force: true })));
}

/** A linked worktree's own git directory, named by its `.git` file. */
async function worktreeGitDir(worktree: string): Promise<string> {
  const dotGit = path.join(worktree, '.git');
  const text = await readFile(dotGit, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EISDIR') return undefined; // a main working tree
    throw err;
  });
  const named = text && /^gitdir: (.+)$/m.exec(text)?.[1]?.trim();
  if (!named) return dotGit;
  return path.resolve(worktree, named);
}
