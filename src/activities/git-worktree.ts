import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { unsafeIdReason } from '../domain/ids';
import {
  canonicalPath,
  commitOf,
  configGet,
  configSet,
  isAncestor,
  openGit,
  permanent,
  withLockRetry,
  worktreeStatus,
} from './git-exec';

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

export async function openRepo(repo: string): Promise<SimpleGit> {
  const git = openGit(repo);
  try {
    await git.raw(['rev-parse', '--git-dir']);
  } catch {
    throw permanent('NotARepository', `${repo} is not a git repository`);
  }
  return git;
}

const ownerKey = (branch: string) => `branch.${branch}.sprintwaveOwner`;

/**
 * Creates `branch` from `base` owned by `owner`, or confirms that the existing branch is ours.
 * Returns true when the branch already existed. Never reuses or deletes someone else's branch.
 */
export async function ensureOwnedBranch(
  git: SimpleGit,
  opts: { branch: string; base: string; owner: string; worktree: string },
): Promise<boolean> {
  const { branch, base, owner } = opts;
  if (await commitOf(git, `refs/heads/${branch}`)) {
    const recorded = await configGet(git, ownerKey(branch));
    if (recorded !== owner) throw branchExists(opts, recorded);
    return true;
  }
  if (base.startsWith('-')) throw permanent('UnsafeId', `base '${base}' is not a valid ref`);
  const baseCommit = await commitOf(git, base);
  if (!baseCommit) throw permanent('BaseNotFound', `base '${base}' is not a commit in the repo`);
  // Owner first: a crash between the two steps must not leave an ownerless branch behind.
  await configSet(git, ownerKey(branch), owner);
  try {
    await withLockRetry(() => git.raw(['branch', '--no-track', branch, baseCommit]));
  } catch (err) {
    if (!(await commitOf(git, `refs/heads/${branch}`))) throw err;
    return ensureOwnedBranch(git, opts); // created concurrently: check whose it is
  }
  return false;
}

function branchExists(
  opts: { branch: string; owner: string; worktree: string },
  recorded: string | undefined,
): Error {
  const left = recorded ? `by another sprint run (${recorded})` : 'without a sprintwave owner';
  return permanent(
    'BranchExists',
    `branch ${opts.branch} already exists, created ${left}: probably left by an earlier sprint ` +
      `with the same id. sprintwave never reuses or deletes it. Remove it with ` +
      `\`git worktree remove ${opts.worktree}\` (if it has a worktree) and ` +
      `\`git branch -D ${opts.branch}\`, or pick another sprint id.`,
  );
}

export async function listWorktrees(git: SimpleGit): Promise<WorktreeEntry[]> {
  const out = await git.raw(['worktree', 'list', '--porcelain', '-z']);
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

async function findWorktree(
  git: SimpleGit,
  match: (e: WorktreeEntry, canonical: string) => boolean,
): Promise<{ entry: WorktreeEntry; isMain: boolean } | undefined> {
  const entries = await listWorktrees(git);
  for (const [i, entry] of entries.entries()) {
    if (match(entry, await canonicalPath(entry.path))) return { entry, isMain: i === 0 };
  }
  return undefined;
}

/** Makes `dir` a worktree on `branch`: reuses a healthy one, repairs a missing or half-made one. */
export async function ensureWorktree(git: SimpleGit, branch: string, dir: string): Promise<void> {
  const target = await canonicalPath(dir);
  const ref = `refs/heads/${branch}`;
  const ours = (e: WorktreeEntry, p: string) => p === target || e.branch === ref;

  let found = await findWorktree(git, ours);
  // `git worktree add` marks its worktree "initializing" until checkout ends: one killed half-way
  // never held any work, so it is rebuilt rather than reused with files missing.
  const halfMade = found?.entry.locked === 'initializing' && !found.isMain && found.entry.path;
  if (halfMade) {
    await withLockRetry(() => git.raw(['worktree', 'remove', '--force', '--force', halfMade]));
    found = await findWorktree(git, ours);
  }
  if (found?.entry.prunable) {
    await withLockRetry(() => git.raw(['worktree', 'prune']));
    found = await findWorktree(git, ours);
  }
  if (found) {
    const at = await canonicalPath(found.entry.path);
    if (at === target && found.entry.branch === ref) return;
    throw permanent(
      'WorktreeConflict',
      at === target
        ? `${dir} is already a worktree of ${found.entry.branch ?? 'a detached HEAD'}, not ${branch}`
        : `branch ${branch} is already checked out at ${found.entry.path}`,
    );
  }
  if (!(await isEmptyOrMissing(target))) {
    throw permanent(
      'WorktreeConflict',
      `${dir} exists, is not empty and is not a worktree of ${branch}`,
    );
  }
  await mkdir(path.dirname(target), { recursive: true });
  await withLockRetry(() => git.raw(['worktree', 'add', target, branch]));
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

export interface RemoveWorktreeInput {
  repo: string;
  worktree: string;
  branch: string;
  /** The branch the work must be merged into; without it, any other local branch will do. */
  mergedInto?: string;
}

/** Removes a worktree only when nothing in it can be lost; the branch itself is always kept. */
export async function removeWorktree(
  input: RemoveWorktreeInput,
): Promise<{ removed: boolean; reason?: string }> {
  const git = await openRepo(input.repo);
  const target = await canonicalPath(input.worktree);
  const found = await findWorktree(git, (_e, p) => p === target);
  if (!found) {
    return (await isEmptyOrMissing(target))
      ? { removed: true, reason: 'already removed' }
      : { removed: false, reason: `${input.worktree} is not a worktree of ${input.repo}` };
  }
  const { entry, isMain } = found;
  if (isMain) return { removed: false, reason: `${input.worktree} is the main working tree` };
  if (entry.prunable) {
    await withLockRetry(() => git.raw(['worktree', 'prune']));
    return { removed: true, reason: 'already removed' };
  }
  if (entry.branch !== `refs/heads/${input.branch}`) {
    return {
      removed: false,
      reason: `worktree is on ${entry.branch ?? 'a detached HEAD'}, not ${input.branch}`,
    };
  }
  const dirty = (await worktreeStatus(openGit(target))).map((entry) => entry.path);
  if (dirty.length > 0) {
    return { removed: false, reason: `uncommitted changes: ${dirty.slice(0, 10).join(', ')}` };
  }
  const unmerged = await unmergedReason(git, input, entry.head ?? input.branch);
  if (unmerged) return { removed: false, reason: unmerged };
  try {
    await withLockRetry(() => git.raw(['worktree', 'remove', target]));
  } catch (err) {
    return { removed: false, reason: err instanceof Error ? err.message : String(err) };
  }
  return { removed: true };
}

async function unmergedReason(
  git: SimpleGit,
  input: RemoveWorktreeInput,
  tip: string,
): Promise<string | undefined> {
  if (input.mergedInto !== undefined) {
    const into = input.mergedInto.startsWith('-')
      ? undefined
      : await commitOf(git, input.mergedInto);
    if (!into) return `branch ${input.mergedInto} not found`;
    return (await isAncestor(git, tip, into))
      ? undefined
      : `${input.branch} has commits not merged into ${input.mergedInto}`;
  }
  const out = await git.raw([
    'for-each-ref',
    '--contains',
    tip,
    '--format=%(refname)',
    'refs/heads',
  ]);
  const others = out.split('\n').filter((ref) => ref && ref !== `refs/heads/${input.branch}`);
  return others.length > 0 ? undefined : `${input.branch} is not merged into any other branch`;
}
