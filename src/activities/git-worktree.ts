import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { unsafeIdReason } from '../domain/ids';
import {
  canonicalPath,
  openGit,
  permanent,
  runGit,
  withLockRetry,
  worktreeAdmin,
} from './git-exec';
import type { Repo } from './git-exec';
import { commitOf } from './git-ops';
import { readBranchRecord, writeBranchRecord } from './git-records';

export interface WorktreeEntry {
  path: string;
  head?: string;
  /** Full ref, e.g. `refs/heads/sprintwave/s1/WP01`; undefined when detached or bare. */
  branch?: string;
  locked?: string;
  prunable: boolean;
}

/** `<worktreeRoot>/<sprintId>/<wpId>`, refusing ids that are unsafe or escape the root. */
export function packageWorktreePath(worktreeRoot: string, sprintId: string, wpId: string): string {
  checkId('work package id', wpId);
  return sprintWorktreePath(worktreeRoot, sprintId, wpId);
}

/** `<worktreeRoot>/<sprintId>/<name>`, where `name` is a checked wpId or sprintwave's own. */
export function sprintWorktreePath(worktreeRoot: string, sprintId: string, name: string): string {
  checkId('sprint id', sprintId);
  const root = path.resolve(worktreeRoot);
  const dir = path.resolve(root, sprintId, name);
  const rel = path.relative(root, dir);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw permanent('UnsafeId', `worktree ${dir} would be outside the worktree root ${root}`);
  }
  return dir;
}

function checkId(what: string, id: string): void {
  const reason = unsafeIdReason(id);
  if (reason) throw permanent('UnsafeId', `${what} '${id}' ${reason}`);
}

export interface OwnedWorktree {
  branch: string;
  /** Ref the branch starts from when it has to be created. */
  base: string;
  /** Identity of the sprint run that owns the branch. */
  owner: string;
  worktree: string;
}

/** What one `resolveCommits` call said before `ensureOwnedWorktree` (it may resolve more). */
export interface ResolvedRefs {
  /** The branch's tip; undefined when there is no such branch yet. */
  tip: string | undefined;
  baseCommit: string | undefined;
}

/**
 * Makes `worktree` a worktree on `branch`, owned by `owner`: a new branch and its worktree come
 * from one `git worktree add -b`; an existing branch must be ours, and its worktree is reused or
 * repaired. Returns 'created' when this call made the branch at `baseCommit`.
 * Never reuses or deletes someone else's branch.
 */
export async function ensureOwnedWorktree(
  repo: Repo,
  wanted: OwnedWorktree,
  refs: ResolvedRefs,
): Promise<'created' | 'existing'> {
  const target = await canonicalPath(wanted.worktree);
  if (refs.tip) {
    await checkOwner(repo, wanted);
    await ensureWorktree(repo, wanted.branch, target);
    return 'existing';
  }
  const { baseCommit } = refs;
  if (!baseCommit) {
    throw permanent('BaseNotFound', `base '${wanted.base}' is not a commit in the repo`);
  }
  if (!(await isEmptyOrMissing(target))) throw notEmpty(wanted);
  // Owner first: a crash between the steps must not leave an ownerless branch behind.
  await writeBranchRecord(repo, wanted.branch, { owner: wanted.owner });
  await mkdir(path.dirname(target), { recursive: true });
  // The branch beside the siblings' work; only the worktree itself takes turns (worktreeAdmin).
  if (!(await createBranch(repo, wanted.branch, baseCommit))) {
    await checkOwner(repo, wanted); // made concurrently, or by an earlier attempt: whose is it?
    await ensureWorktree(repo, wanted.branch, target);
    return 'existing';
  }
  try {
    await worktreeAdmin(repo, () => runGit(repo.dir, ['worktree', 'add', target, wanted.branch]));
  } catch {
    await ensureWorktree(repo, wanted.branch, target); // repairs what the failed add left, or says why not
  }
  return 'created';
}

/** Makes `branch` at `commit`; false when a branch of that name exists already. */
async function createBranch(repo: Repo, branch: string, commit: string): Promise<boolean> {
  try {
    await withLockRetry(() => runGit(repo.dir, ['branch', '--no-track', branch, commit]));
    return true;
  } catch (err) {
    if (await commitOf(repo.dir, `refs/heads/${branch}`)) return false;
    throw err;
  }
}

async function checkOwner(repo: Repo, wanted: OwnedWorktree): Promise<void> {
  const recorded = (await readBranchRecord(repo, wanted.branch))?.owner;
  if (recorded !== wanted.owner) throw branchExists(wanted, recorded);
}

function notEmpty(wanted: OwnedWorktree): Error {
  return permanent(
    'WorktreeConflict',
    `${wanted.worktree} exists, is not empty and is not a worktree of ${wanted.branch}`,
  );
}

function branchExists(wanted: OwnedWorktree, recorded: string | undefined): Error {
  const left = recorded ? `by another sprint run (${recorded})` : 'without a sprintwave owner';
  return permanent(
    'BranchExists',
    `branch ${wanted.branch} already exists, created ${left}: probably left by an earlier sprint ` +
      `with the same id. sprintwave never reuses or deletes it. Remove it with ` +
      `\`git worktree remove ${wanted.worktree}\` (if it has a worktree) and ` +
      `\`git branch -D ${wanted.branch}\`, or pick another sprint id.`,
  );
}

/** Every worktree of the repository, the main one first. */
export async function listWorktrees(repo: Repo): Promise<WorktreeEntry[]> {
  const out = await openGit(repo.dir).raw(['worktree', 'list', '--porcelain', '-z']);
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const field of out.split('\0')) {
    if (field === '') {
      current = undefined;
      continue;
    }
    const [key, ...rest] = field.split(' ');
    const value = rest.join(' ');
    if (key === 'worktree') {
      current = { path: value, prunable: false };
      entries.push(current);
    } else if (current && key === 'HEAD') current.head = value;
    else if (current && key === 'branch') current.branch = value;
    else if (current && key === 'locked') current.locked = value;
    else if (current && key === 'prunable') current.prunable = true;
  }
  return entries;
}

export async function findWorktree(
  repo: Repo,
  match: (e: WorktreeEntry, canonical: string) => boolean,
): Promise<{ entry: WorktreeEntry; isMain: boolean } | undefined> {
  const entries = await listWorktrees(repo);
  for (const [i, entry] of entries.entries()) {
    if (match(entry, await canonicalPath(entry.path))) return { entry, isMain: i === 0 };
  }
  return undefined;
}

/** Makes `target` a worktree on `branch`: reuses a healthy one, repairs a missing or half-made one. */
async function ensureWorktree(repo: Repo, branch: string, target: string): Promise<void> {
  const ref = `refs/heads/${branch}`;
  const ours = (e: WorktreeEntry, p: string) => p === target || e.branch === ref;
  const git = openGit(repo.dir);
  await worktreeAdmin(repo, async () => {
    let found = await findWorktree(repo, ours);
    // `git worktree add` marks its worktree "initializing" until checkout ends: one killed
    // half-way never held any work, so it is rebuilt rather than reused with files missing.
    const halfMade = found?.entry.locked === 'initializing' && !found.isMain && found.entry.path;
    if (halfMade) {
      await git.raw(['worktree', 'remove', '--force', '--force', halfMade]);
      found = await findWorktree(repo, ours);
    }
    if (found?.entry.prunable) {
      await git.raw(['worktree', 'prune']);
      found = await findWorktree(repo, ours);
    }
    if (found) {
      const at = await canonicalPath(found.entry.path);
      if (at === target && found.entry.branch === ref) return;
      throw permanent(
        'WorktreeConflict',
        at === target
          ? `${target} is already a worktree of ${found.entry.branch ?? 'a detached HEAD'}, not ${branch}`
          : `branch ${branch} is already checked out at ${found.entry.path}`,
      );
    }
    if (!(await isEmptyOrMissing(target))) {
      throw permanent(
        'WorktreeConflict',
        `${target} exists, is not empty and is not a worktree of ${branch}`,
      );
    }
    await mkdir(path.dirname(target), { recursive: true });
    await runGit(repo.dir, ['worktree', 'add', target, branch]);
  });
}

export async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}
