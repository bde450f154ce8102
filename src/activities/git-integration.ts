import {
  abortMergeInProgress,
  checkBranchName,
  commitOf,
  headCommit,
  isAncestor,
  mergeOrAbort,
  openCommitter,
} from './git-exec';
import { ensureOwnedBranch, ensureWorktree, openRepo, sprintWorktreePath } from './git-worktree';

export interface MergeConflict {
  wpId: string;
  branch: string;
  files: string[];
}

export interface IntegrationMerge {
  branch: string;
  worktree: string;
  /** HEAD of the integration branch after the merges. */
  commit: string;
  /** wpIds whose branch is in the integration branch (this run or an earlier one). */
  merged: string[];
  conflicts: MergeConflict[];
  /** wpIds that were merged before this call: no new commit was made for them. */
  alreadyMerged: string[];
  /** wpIds whose branch does not exist, so nothing could be merged. */
  missing: string[];
}

export interface MergeIntoIntegrationInput {
  repo: string;
  sprintId: string;
  base: string;
  /** The integration branch. */
  branch: string;
  /** In dependency order. */
  packages: { wpId: string; branch: string }[];
  worktreeRoot: string;
  owner: string;
}

const INTEGRATION_DIR = '_integration';

/** Merges each package branch with `--no-ff`; a conflict is aborted and reported, never resolved. */
export async function mergeIntoIntegration(
  input: MergeIntoIntegrationInput,
): Promise<IntegrationMerge> {
  const worktree = sprintWorktreePath(input.worktreeRoot, input.sprintId, INTEGRATION_DIR);
  const git = await openRepo(input.repo);
  await checkBranchName(git, input.branch, 'integration branch');
  for (const pkg of input.packages) await checkBranchName(git, pkg.branch, `branch of ${pkg.wpId}`);
  await ensureOwnedBranch(git, { ...input, worktree });
  await ensureWorktree(git, input.branch, worktree);

  const wt = await openCommitter(worktree);
  await abortMergeInProgress(wt); // a crash mid-merge must not leave half a merge behind
  const result: IntegrationMerge = {
    branch: input.branch,
    worktree,
    commit: '',
    merged: [],
    conflicts: [],
    alreadyMerged: [],
    missing: [],
  };
  for (const { wpId, branch } of input.packages) {
    const tip = await commitOf(wt, `refs/heads/${branch}`);
    if (!tip) {
      result.missing.push(wpId);
    } else if (await isAncestor(wt, tip, 'HEAD')) {
      result.merged.push(wpId);
      result.alreadyMerged.push(wpId);
    } else {
      const message = `sprintwave: merge ${wpId}`;
      const args = ['--no-ff', '--no-edit', '-m', message, '--end-of-options', branch];
      const outcome = await mergeOrAbort(wt, args);
      if (outcome.conflict) result.conflicts.push({ wpId, branch, files: outcome.files });
      else result.merged.push(wpId);
    }
  }
  result.commit = await headCommit(wt);
  return result;
}
