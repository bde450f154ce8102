import { identityConfig, openRepository, runAutoMaintenance } from './git-exec';
import {
  abortMergeInProgress,
  branchesAmong,
  checkBaseRef,
  checkBranchName,
  headCommit,
  mergeOrAbort,
  resolveCommits,
} from './git-ops';
import { ensureOwnedWorktree, sprintWorktreePath } from './git-worktree';

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

/**
 * Merges each package branch with `--no-ff`; a conflict is aborted and reported, never resolved.
 * Which branches exist and which are merged already is read once up front: then one git process
 * per merge.
 */
export async function mergeIntoIntegration(
  input: MergeIntoIntegrationInput,
): Promise<IntegrationMerge> {
  const worktree = sprintWorktreePath(input.worktreeRoot, input.sprintId, INTEGRATION_DIR);
  await checkBranchName(input.repo, input.branch, 'integration branch');
  for (const pkg of input.packages) {
    await checkBranchName(input.repo, pkg.branch, `branch of ${pkg.wpId}`);
  }
  checkBaseRef(input.base);
  const repo = await openRepository(input.repo);
  const [tip, baseCommit] = await resolveCommits(repo.dir, [
    `refs/heads/${input.branch}`,
    input.base,
  ]);
  const wanted = { branch: input.branch, base: input.base, owner: input.owner, worktree };
  if ((await ensureOwnedWorktree(repo, wanted, { tip, baseCommit })) === 'existing') {
    await abortMergeInProgress(worktree); // a crash mid-merge must not leave half a merge behind
  }

  const branches = input.packages.map((pkg) => pkg.branch);
  const existing = await branchesAmong(worktree, branches);
  const mergedBefore = await branchesAmong(worktree, branches, 'HEAD');
  const identity = await identityConfig(repo);
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
    if (!existing.has(branch)) {
      result.missing.push(wpId);
      continue;
    }
    const message = `sprintwave: merge ${wpId}`;
    const args = ['--no-ff', '--no-edit', '-m', message, '--end-of-options', branch];
    const outcome = mergedBefore.has(branch)
      ? ({ conflict: false, upToDate: true } as const)
      : await mergeOrAbort(worktree, args, identity);
    if (outcome.conflict) {
      result.conflicts.push({ wpId, branch, files: outcome.files });
      continue;
    }
    result.merged.push(wpId);
    // Also when an earlier branch of this call already brought it in: no commit of its own.
    if (outcome.upToDate) result.alreadyMerged.push(wpId);
  }
  result.commit = await headCommit(worktree);
  await runAutoMaintenance(repo.dir);
  return result;
}
