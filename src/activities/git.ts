/**
 * Git activities: plain async functions, each idempotent (a re-run after a crash at any point
 * reaches the same end state). Permanent problems are non-retryable ApplicationFailures.
 */
import { stat } from 'node:fs/promises';
import { packageBranch } from '../domain/ids';
import type { WorkEvidence as PackageEvidence } from '../domain/progress';
import {
  GitExitError,
  identityConfig,
  openRepository,
  permanent,
  rememberWorktree,
  runGit,
  withLockRetry,
} from './git-exec';
import type { Repo } from './git-exec';
import {
  abortMergeInProgress,
  checkBaseRef,
  checkBranchName,
  commitOf,
  headCommit,
  isAncestor,
  isUnmerged,
  mergeOrAbort,
  resolveCommits,
  worktreeStatus,
} from './git-ops';
import { readBranchRecord, writeBranchRecord } from './git-records';
import { ensureOwnedWorktree, packageWorktreePath } from './git-worktree';

export { mergeIntoIntegration } from './git-integration';
export type { IntegrationMerge, MergeConflict, MergeIntoIntegrationInput } from './git-integration';
export { removeWorktree } from './git-worktree-remove';
export type { RemoveWorktreeInput } from './git-worktree-remove';

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

/**
 * Two git processes make the branch and its worktree (one `cat-file` resolves every ref, one
 * `worktree add -b`), then one per dependency merge and one to read the merged HEAD.
 */
export async function prepareWorktree(input: PrepareWorktreeInput): Promise<PreparedWorktree> {
  const worktree = packageWorktreePath(input.worktreeRoot, input.sprintId, input.wpId);
  const branch = packageBranch(input.sprintId, input.wpId);
  const deps = input.dependencyBranches;
  for (const dep of deps) await checkBranchName(input.repo, dep, 'dependency branch');
  checkBaseRef(input.base);
  const repo = await openRepository(input.repo);
  const [tip, baseCommit, ...depTips] = await resolveCommits(repo.dir, [
    `refs/heads/${branch}`,
    input.base,
    ...deps,
  ]);
  const wanted = { branch, base: input.base, owner: input.owner, worktree };
  const made = await ensureOwnedWorktree(repo, wanted, { tip, baseCommit });
  rememberWorktree(worktree, repo);
  const base = await ensureBaseCommit(repo, {
    ...wanted,
    deps: deps.map((name, i) => ({ name, tip: depTips[i] })),
    createdAt: made === 'created' ? baseCommit : undefined,
  });
  return { branch, worktree, baseCommit: base, reused: tip !== undefined };
}

interface BaseWork {
  branch: string;
  worktree: string;
  owner: string;
  deps: { name: string; tip: string | undefined }[];
  /** The commit the branch was created at by this call; undefined when it existed. */
  createdAt: string | undefined;
}

/** Merges the dependencies once, then records the result so retries return the same commit. */
async function ensureBaseCommit(repo: Repo, work: BaseWork): Promise<string> {
  if (work.createdAt === undefined) {
    const recorded = (await readBranchRecord(repo, work.branch))?.baseCommit;
    if (recorded && (await isBelowHead(work.worktree, recorded))) return recorded;
    await abortMergeInProgress(work.worktree); // left by a crash mid-merge; no work started yet
  }
  const identity = work.deps.length > 0 ? await identityConfig(repo) : [];
  for (const dep of work.deps) await mergeDependency(work, dep, identity);
  const baseCommit =
    work.deps.length === 0 && work.createdAt ? work.createdAt : await headCommit(work.worktree);
  await writeBranchRecord(repo, work.branch, { owner: work.owner, baseCommit });
  return baseCommit;
}

async function isBelowHead(worktree: string, commit: string): Promise<boolean> {
  try {
    return await isAncestor(worktree, commit, 'HEAD');
  } catch (err) {
    if (err instanceof GitExitError) return false; // no such commit any more
    throw err;
  }
}

async function mergeDependency(
  work: BaseWork,
  dep: BaseWork['deps'][number],
  identity: string[],
): Promise<void> {
  if (!dep.tip) {
    throw permanent('DependencyMissing', `dependency branch ${dep.name} does not exist`);
  }
  // Already merged (a retry): git says "Already up to date" and makes no commit.
  const args = ['--no-ff', '--no-edit', '--end-of-options', dep.name];
  const outcome = await mergeOrAbort(work.worktree, args, identity);
  if (outcome.conflict) {
    throw permanent(
      'DependencyConflict',
      `merging dependency branch ${dep.name} into ${work.branch} conflicts in: ` +
        `${outcome.files.join(', ')} (merge aborted)`,
    );
  }
}

export interface WorkEvidence extends PackageEvidence {
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
  const { worktree, baseCommit } = input;
  if (!/^[0-9a-f]{4,64}$/i.test(baseCommit)) throw baseNotFound(baseCommit);
  if (!(await isDirectory(worktree))) {
    throw permanent('NotARepository', `worktree ${worktree} does not exist`);
  }
  const message = `sprintwave: ${input.wpId} ${input.title.replace(/\s+/g, ' ').trim()}`.trim();

  const status = await worktreeStatus(worktree);
  const conflicted = status.filter(isUnmerged).map((entry) => entry.path);
  if (conflicted.length > 0) {
    throw permanent('UnresolvedConflict', `unresolved conflicts in: ${conflicted.join(', ')}`);
  }
  if (status.length > 0) {
    const identity = await identityConfig(await openRepository(worktree));
    await withLockRetry(() => runGit(worktree, ['add', '--all']));
    // The user's hooks guard their own commits; the integration checks judge this work.
    const commit = ['commit', '--no-verify', '--quiet', '-m', message];
    await withLockRetry(() => runGit(worktree, commit, { config: identity }));
  }
  // Read back from git, so a retry after the commit reports the same evidence.
  const base = baseCommit.toLowerCase();
  const head = await lastCommit(worktree);
  const onBase = head.commit.startsWith(base);
  const committedLeftovers = !onBase && head.message.trim() === message;
  let changes = head.changes;
  if (onBase) changes = NO_CHANGES;
  else if (head.parents.length !== 1 || !head.parents[0]?.startsWith(base)) {
    changes = await diffStat(worktree, baseCommit, head.commit); // more than one commit since base
  }
  return { commit: head.commit, committedLeftovers, ...changes };
}

type DiffStat = Pick<WorkEvidence, 'filesChanged' | 'insertions' | 'deletions' | 'files'>;

const NO_CHANGES: DiffStat = { filesChanged: 0, insertions: 0, deletions: 0, files: [] };

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then(
    (found) => found.isDirectory(),
    () => false,
  );
}

function baseNotFound(baseCommit: string): Error {
  return permanent('BaseNotFound', `base commit ${baseCommit} not found`);
}

interface HeadCommit {
  commit: string;
  message: string;
  parents: string[];
  /** What HEAD changed against its first parent: the evidence when that parent is the base. */
  changes: DiffStat;
}

/** HEAD, its message, its parents and its own changes, from one git process. */
async function lastCommit(worktree: string): Promise<HeadCommit> {
  const format = '--format=%H%x00%P%x00%B';
  const args = ['log', '-1', '-z', '--no-show-signature', '--no-renames', '--numstat', format];
  const [commit = '', parents = '', message = '', ...numstat] = (
    await runGit(worktree, [...args, 'HEAD'])
  ).split('\0');
  return {
    commit: commit.trim(),
    message,
    parents: parents.split(' ').filter(Boolean),
    changes: parseNumstat(numstat.map((record) => record.replace(/^\n/, ''))),
  };
}

async function diffStat(worktree: string, base: string, to: string): Promise<DiffStat> {
  const args = ['diff', '--numstat', '--no-renames', '-z', base, to];
  const out = await runGit(worktree, args).catch(async (err: unknown) => {
    throw (await commitOf(worktree, base)) ? err : baseNotFound(base);
  });
  return parseNumstat(out.split('\0'));
}

/** `--numstat -z` records, each `<added>\t<deleted>\t<path>` (renames are off). */
function parseNumstat(records: string[]): DiffStat {
  let insertions = 0;
  let deletions = 0;
  const files: string[] = [];
  for (const record of records) {
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
