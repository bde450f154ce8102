/**
 * Git activities: plain async functions, each idempotent (a re-run after a crash at any point
 * reaches the same end state). Permanent problems are non-retryable ApplicationFailures.
 */
import type { SimpleGit } from 'simple-git';
import { packageBranch } from '../domain/ids';
import {
  abortMergeInProgress,
  checkBranchName,
  commitOf,
  configGet,
  configSet,
  headCommit,
  isAncestor,
  isUnmerged,
  mergeOrAbort,
  openCommitter,
  permanent,
  withLockRetry,
  worktreeStatus,
} from './git-exec';
import { ensureOwnedBranch, ensureWorktree, openRepo, packageWorktreePath } from './git-worktree';

export { mergeIntoIntegration } from './git-integration';
export type { IntegrationMerge, MergeConflict, MergeIntoIntegrationInput } from './git-integration';
export { removeWorktree } from './git-worktree';
export type { RemoveWorktreeInput } from './git-worktree';

export interface PrepareWorktreeInput {
  /** Path to the user's git repository (main working copy). */
  repo: string;
  sprintId: string;
  wpId: string;
  /** Base branch/ref of the sprint, e.g. 'main'. */
  base: string;
  /** Branches of the package's dependencies, merged into its branch before work starts. */
  dependencyBranches: string[];
  /** Worktrees live under `<worktreeRoot>/<sprintId>/<wpId>`. */
  worktreeRoot: string;
  /** Identity of the sprint run that owns the branch. */
  owner: string;
}

export interface PreparedWorktree {
  branch: string;
  worktree: string;
  /** HEAD after base + dependency merges: the package's own work is measured against it. */
  baseCommit: string;
  /** True when the branch already existed (a retry or resume of the same sprint run). */
  reused: boolean;
}

export async function prepareWorktree(input: PrepareWorktreeInput): Promise<PreparedWorktree> {
  const worktree = packageWorktreePath(input.worktreeRoot, input.sprintId, input.wpId);
  const branch = packageBranch(input.sprintId, input.wpId);
  const git = await openRepo(input.repo);
  for (const dep of input.dependencyBranches) {
    await checkBranchName(git, dep, 'dependency branch');
  }
  const reused = await ensureOwnedBranch(git, {
    branch,
    base: input.base,
    owner: input.owner,
    worktree,
  });
  await ensureWorktree(git, branch, worktree);
  const baseCommit = await ensureBaseCommit(
    await openCommitter(worktree),
    branch,
    input.dependencyBranches,
  );
  return { branch, worktree, baseCommit, reused };
}

/** Merges the dependencies once, then remembers the result so retries return the same commit. */
async function ensureBaseCommit(wt: SimpleGit, branch: string, deps: string[]): Promise<string> {
  const key = `branch.${branch}.sprintwaveBase`;
  const recorded = await configGet(wt, key);
  const stillThere = recorded && (await commitOf(wt, recorded));
  if (stillThere && (await isAncestor(wt, stillThere, 'HEAD'))) return stillThere;
  await abortMergeInProgress(wt); // left by a crash mid-merge; no work has started yet
  for (const dep of deps) await mergeDependency(wt, branch, dep);
  const baseCommit = await headCommit(wt);
  await configSet(wt, key, baseCommit);
  return baseCommit;
}

async function mergeDependency(wt: SimpleGit, branch: string, dep: string): Promise<void> {
  const tip = await commitOf(wt, dep);
  if (!tip) throw permanent('DependencyMissing', `dependency branch ${dep} does not exist`);
  if (await isAncestor(wt, tip, 'HEAD')) return;
  const outcome = await mergeOrAbort(wt, ['--no-ff', '--no-edit', '--end-of-options', dep]);
  if (outcome.conflict) {
    throw permanent(
      'DependencyConflict',
      `merging dependency branch ${dep} into ${branch} conflicts in: ${outcome.files.join(', ')} ` +
        `(merge aborted)`,
    );
  }
}

export interface WorkEvidence {
  commit: string;
  filesChanged: number;
  insertions: number;
  deletions: number;
  /** Paths changed since the base commit, sorted. */
  files: string[];
  /** True when sprintwave committed what the executor left uncommitted. */
  committedLeftovers: boolean;
}

export interface CommitWorkInput {
  worktree: string;
  wpId: string;
  title: string;
  baseCommit: string;
}

/** Commits whatever the executor left behind and reports, from git, what changed since base. */
export async function commitWork(input: CommitWorkInput): Promise<WorkEvidence> {
  const git = await openCommitter(input.worktree);
  const base = await commitOf(git, input.baseCommit);
  if (!base) throw permanent('BaseNotFound', `base commit ${input.baseCommit} not found`);
  const message = `sprintwave: ${input.wpId} ${input.title.replace(/\s+/g, ' ').trim()}`.trim();

  const status = await worktreeStatus(git);
  const conflicted = status.filter(isUnmerged).map((entry) => entry.path);
  if (conflicted.length > 0) {
    throw permanent('UnresolvedConflict', `unresolved conflicts in: ${conflicted.join(', ')}`);
  }
  if (status.length > 0) {
    await withLockRetry(() => git.raw(['add', '--all', '--verbose']));
    // The user's hooks guard their own commits; the integration checks judge this work.
    await withLockRetry(() => git.raw(['commit', '--no-verify', '-m', message]));
  }
  const commit = await headCommit(git);
  // Read back from git, so a retry after the commit reports the same evidence.
  const committedLeftovers =
    commit !== base && (await git.raw(['log', '-1', '--format=%B', commit])).trim() === message;
  return { commit, committedLeftovers, ...(await diffStat(git, base, commit)) };
}

async function diffStat(git: SimpleGit, from: string, to: string) {
  const out = await git.raw(['diff', '--numstat', '--no-renames', '-z', from, to]);
  let insertions = 0;
  let deletions = 0;
  const files: string[] = [];
  for (const record of out.split('\0')) {
    const match = /^(\d+|-)\t(\d+|-)\t([\s\S]+)$/.exec(record);
    if (!match) continue;
    // Binary files show '-' for both counts: changed, with 0 lines.
    insertions += match[1] === '-' ? 0 : Number(match[1]);
    deletions += match[2] === '-' ? 0 : Number(match[2]);
    files.push(match[3] ?? '');
  }
  files.sort();
  return { filesChanged: files.length, insertions, deletions, files };
}
