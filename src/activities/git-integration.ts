import {
  GitExitError,
  identityConfig,
  openRepository,
  runAutoMaintenance,
  runGit,
  withLockRetry,
} from './git-exec';
import {
  abortMergeInProgress,
  branchesAmong,
  checkBaseRef,
  checkBranchName,
  commitTree,
  isAncestor,
  mergeTree,
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
 * Merges each package branch, in order, as git's `merge --no-ff` would: one merge commit per
 * package, a conflicting branch reported and skipped, never resolved. The merges are made as
 * objects only (`merge-tree`, `commit-tree`): no index or worktree is written per merge, so a
 * merge costs the same at the 10,000th package as at the first. The integration branch and its
 * worktree move once, at the end; a crash before that leaves the branch as it was.
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
  const branches = input.packages.map((pkg) => pkg.branch);
  const [tip, baseCommit, ...heads] = await resolveCommits(repo.dir, [
    `refs/heads/${input.branch}`,
    input.base,
    ...branches.map((branch) => `refs/heads/${branch}`),
  ]);
  const wanted = { branch: input.branch, base: input.base, owner: input.owner, worktree };
  if ((await ensureOwnedWorktree(repo, wanted, { tip, baseCommit })) === 'existing') {
    await abortMergeInProgress(worktree); // a merge left in progress in it must not stay half-done
  }
  const mergedBefore = await branchesAmong(worktree, branches, 'HEAD');
  const start = await headAndTree(worktree);
  const chain = { ...start, identity: await identityConfig(repo), made: 0 };
  const large = input.packages.length >= COMMIT_GRAPH_EVERY;
  if (large) await extendCommitGraph(repo.dir, [start.commit, ...heads]);
  const result: IntegrationMerge = {
    branch: input.branch,
    worktree,
    commit: '',
    merged: [],
    conflicts: [],
    alreadyMerged: [],
    missing: [],
  };
  for (const [i, { wpId, branch }] of input.packages.entries()) {
    const head = heads[i];
    if (head === undefined) {
      result.missing.push(wpId);
      continue;
    }
    const outcome = mergedBefore.has(branch)
      ? 'already-merged'
      : await mergeOne(worktree, chain, { wpId, head });
    if (large && outcome === 'merged' && chain.made % COMMIT_GRAPH_EVERY === 0) {
      await extendCommitGraph(repo.dir, [chain.commit]);
    }
    if (typeof outcome === 'object') {
      result.conflicts.push({ wpId, branch, files: outcome.files });
      continue;
    }
    result.merged.push(wpId);
    // Also when an earlier branch of this call already brought it in: no commit of its own.
    if (outcome === 'already-merged') result.alreadyMerged.push(wpId);
  }
  if (chain.commit !== start.commit) {
    // One checkout for every merge: moves the branch and writes only the files that changed.
    await withLockRetry(() => runGit(worktree, ['reset', '--quiet', '--keep', chain.commit]));
  }
  result.commit = chain.commit;
  await runAutoMaintenance(repo.dir);
  return result;
}

interface MergeChain {
  /** The tip so far, and its tree. */
  commit: string;
  tree: string;
  identity: string[];
  /** Merge commits made so far. */
  made: number;
}

/**
 * Each merge looks for the merge base of the tip and a branch head, a walk back through every
 * merge before it: without a commit-graph, git reads each of those commits from its object
 * file, and the merges of a sprint cost the square of its size (4,000 merges: 167 s; with the
 * graph extended every 256 merges, 32 s).
 */
const COMMIT_GRAPH_EVERY = 256;

/** Adds the commits reachable from `commits` to the repository's commit-graph: a cache only. */
async function extendCommitGraph(dir: string, commits: (string | undefined)[]): Promise<void> {
  const input = commits.filter(Boolean).join('\n') + '\n';
  try {
    await runGit(dir, ['commit-graph', 'write', '--split', '--stdin-commits'], { input });
  } catch (err) {
    if (!(err instanceof GitExitError)) throw err; // e.g. maintenance holds its lock: merges go on
  }
}

/** Merges one branch head onto the chain's tip, moving the tip when a merge commit is made. */
async function mergeOne(
  dir: string,
  chain: MergeChain,
  pkg: { wpId: string; head: string },
): Promise<'merged' | 'already-merged' | { files: string[] }> {
  const merged = await mergeTree(dir, chain.commit, pkg.head);
  if (!merged.clean) return { files: merged.files };
  // The same tree: maybe the head is in the tip already (then `git merge` makes no commit), or
  // it changed nothing the tip does not have (then it makes one, as here).
  if (merged.tree === chain.tree && (await isAncestor(dir, pkg.head, chain.commit))) {
    return 'already-merged';
  }
  const commit = {
    tree: merged.tree,
    parents: [chain.commit, pkg.head],
    message: `sprintwave: merge ${pkg.wpId}`,
  };
  chain.commit = await commitTree(dir, commit, { config: chain.identity });
  chain.tree = merged.tree;
  chain.made++;
  return 'merged';
}

async function headAndTree(dir: string): Promise<{ commit: string; tree: string }> {
  const [commit = '', tree = ''] = (await runGit(dir, ['rev-parse', 'HEAD', 'HEAD^{tree}']))
    .trim()
    .split('\n');
  return { commit, tree };
}
