import { canonicalPath, openGit, openRepository, worktreeAdmin } from './git-exec';
import type { Repo } from './git-exec';
import { commitOf, isAncestor, worktreeStatus } from './git-ops';
import { findWorktree, isEmptyOrMissing } from './git-worktree';

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
  const repo = await openRepository(input.repo);
  const git = openGit(repo.dir);
  const target = await canonicalPath(input.worktree);
  const found = await findWorktree(repo, (_e, p) => p === target);
  if (!found) {
    return (await isEmptyOrMissing(target))
      ? { removed: true, reason: 'already removed' }
      : { removed: false, reason: `${input.worktree} is not a worktree of ${input.repo}` };
  }
  const { entry, isMain } = found;
  if (isMain) return { removed: false, reason: `${input.worktree} is the main working tree` };
  if (entry.prunable) {
    await worktreeAdmin(repo, () => git.raw(['worktree', 'prune']));
    return { removed: true, reason: 'already removed' };
  }
  if (entry.branch !== `refs/heads/${input.branch}`) {
    return {
      removed: false,
      reason: `worktree is on ${entry.branch ?? 'a detached HEAD'}, not ${input.branch}`,
    };
  }
  const dirty = (await worktreeStatus(target)).map((entry) => entry.path);
  if (dirty.length > 0) {
    return { removed: false, reason: `uncommitted changes: ${dirty.slice(0, 10).join(', ')}` };
  }
  const unmerged = await unmergedReason(repo, input, entry.head ?? input.branch);
  if (unmerged) return { removed: false, reason: unmerged };
  try {
    await worktreeAdmin(repo, () => git.raw(['worktree', 'remove', target]));
  } catch (err) {
    return { removed: false, reason: err instanceof Error ? err.message : String(err) };
  }
  return { removed: true };
}

async function unmergedReason(
  repo: Repo,
  input: RemoveWorktreeInput,
  tip: string,
): Promise<string | undefined> {
  if (input.mergedInto !== undefined) {
    const into = input.mergedInto.startsWith('-')
      ? undefined
      : await commitOf(repo.dir, input.mergedInto);
    if (!into) return `branch ${input.mergedInto} not found`;
    return (await isAncestor(repo.dir, tip, into))
      ? undefined
      : `${input.branch} has commits not merged into ${input.mergedInto}`;
  }
  const out = await openGit(repo.dir).raw([
    'for-each-ref',
    '--contains',
    tip,
    '--format=%(refname)',
    'refs/heads',
  ]);
  const others = out.split('\n').filter((ref) => ref && ref !== `refs/heads/${input.branch}`);
  return others.length > 0 ? undefined : `${input.branch} is not merged into any other branch`;
}
