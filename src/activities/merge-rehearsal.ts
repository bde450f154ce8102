/**
 * Merge rehearsal: would each completed package's branch merge cleanly with everything completed
 * before it, in the order the final merge uses? Answered with `git merge-tree` and
 * `git commit-tree` only: objects are written, no ref, branch, index or worktree is touched.
 */
import { openRepository, permanent, runGit } from './git-exec';
import type { MergeConflict } from './git-integration';
import { checkBaseRef, checkBranchName, commitTree, mergeTree, resolveCommits } from './git-ops';

export interface RehearsalConflict extends MergeConflict {
  /** Packages rehearsed before this one whose merges changed these files: the other side. */
  with: string[];
}

export type RehearsalOutcome = 'merged' | 'conflict' | 'missing';

export interface RehearsalStep {
  wpId: string;
  branch: string;
  /** The branch's head commit; absent when the branch does not exist. */
  head?: string;
  /** The rehearsal tip this package was merged into: the base commit for the first one. */
  from: string;
  /** The tip after it: a new rehearsal commit when it merged cleanly, else `from` (skipped). */
  tip: string;
  outcome: RehearsalOutcome;
  conflict?: RehearsalConflict;
}

export interface RehearseMergeInput {
  repo: string;
  sprintId: string;
  /** The sprint's base ref, where the integration branch starts too. */
  base: string;
  /**
   * An earlier step's tip to go on from, when the packages before it are unchanged: the base
   * commit when absent. It stays reachable through the sprint's rehearsal ref.
   */
  from?: string;
  /** The completed packages after `from`, in the final merge's order. */
  packages: { wpId: string; branch: string }[];
}

export interface MergeRehearsal {
  /** The base commit. */
  base: string;
  /** The last step's tip: its tree is what the final merge would leave in the integration branch. */
  tip: string;
  /** One per package of the input. */
  steps: RehearsalStep[];
  conflicts: RehearsalConflict[];
  /** wpIds whose branch does not exist. */
  missing: string[];
  /** How many `git merge-tree` runs this call made. */
  mergeTrees: number;
}

/** Fixed identity and date: the same inputs make the same commit ids, run after run. */
const REHEARSAL_IDENTITY: Record<string, string> = {
  GIT_AUTHOR_NAME: 'sprintwave',
  GIT_AUTHOR_EMAIL: 'sprintwave@localhost',
  GIT_AUTHOR_DATE: '@946684800 +0000',
  GIT_COMMITTER_NAME: 'sprintwave',
  GIT_COMMITTER_EMAIL: 'sprintwave@localhost',
  GIT_COMMITTER_DATE: '@946684800 +0000',
};

const SUBJECT_PREFIX = 'sprintwave: rehearse ';

/**
 * Where a sprint's latest rehearsal tip is kept, so that tip and every step before it stay
 * reachable (gc would prune loose commits). Outside `refs/heads`: no branch, and outside the
 * sprint's `refs/sprintwave/<sprint>/` so no package id can clash with it.
 */
export function rehearsalRef(sprintId: string): string {
  return `refs/sprintwave-rehearsal/${sprintId}`;
}

/**
 * Rehearses the final merge from `from` (or the base): a clean merge becomes the next tip, a
 * conflicting branch is reported and skipped (as `mergeIntoIntegration` aborts and skips it).
 * One `cat-file` reads every head, then one merge-tree per package; the one ref it moves is the
 * sprint's rehearsal ref.
 */
export async function rehearseMerge(input: RehearseMergeInput): Promise<MergeRehearsal> {
  checkBaseRef(input.base);
  for (const pkg of input.packages) {
    await checkBranchName(input.repo, pkg.branch, `branch of ${pkg.wpId}`);
  }
  const repo = await openRepository(input.repo);
  const heads = input.packages.map((pkg) => `refs/heads/${pkg.branch}`);
  const [base, from, ...found] = await resolveCommits(repo.dir, [
    input.base,
    input.from ?? input.base,
    ...heads,
  ]);
  if (!base) throw permanent('BaseNotFound', `base '${input.base}' is not a commit in the repo`);
  if (!from) throw permanent('RehearsalGone', `the rehearsal commit ${input.from} is gone`);
  const steps: RehearsalStep[] = [];
  let tip = from;
  let mergeTrees = 0;
  for (const [i, pkg] of input.packages.entries()) {
    const head = found[i];
    if (head === undefined) {
      steps.push({ wpId: pkg.wpId, branch: pkg.branch, from: tip, tip, outcome: 'missing' });
      continue;
    }
    mergeTrees++;
    const step = await rehearseStep(repo.dir, base, { ...pkg, head, from: tip });
    steps.push(step);
    tip = step.tip;
  }
  if (tip !== base) await runGit(repo.dir, ['update-ref', rehearsalRef(input.sprintId), tip]);
  return summary(base, tip, steps, mergeTrees);
}

async function rehearseStep(
  dir: string,
  base: string,
  step: { wpId: string; branch: string; head: string; from: string },
): Promise<RehearsalStep> {
  const { wpId, branch, head, from } = step;
  const merged = await mergeTree(dir, from, head);
  if (merged.clean) {
    const commit = {
      tree: merged.tree,
      parents: [from, head],
      message: `${SUBJECT_PREFIX}${wpId}`,
    };
    const tip = await commitTree(dir, commit, { env: REHEARSAL_IDENTITY, sign: false });
    return { wpId, branch, head, from, tip, outcome: 'merged' };
  }
  const files = merged.files;
  const others = await packagesTouching(dir, { base, tip: from, files });
  const conflict = { wpId, branch, files, with: others };
  return { wpId, branch, head, from, tip: from, outcome: 'conflict', conflict };
}

/**
 * The earlier packages whose rehearsal merges changed any of `files`: each merge is compared with
 * the tip before it (first parent), so a package that only carried a dependency's change is not
 * named for it. Each rehearsal commit names its package in its subject.
 */
async function packagesTouching(
  dir: string,
  range: { base: string; tip: string; files: string[] },
): Promise<string[]> {
  if (range.tip === range.base || range.files.length === 0) return [];
  const paths = range.files.map((file) => `:(literal)${file}`);
  const args = ['log', '--first-parent', '--format=%s', `${range.base}..${range.tip}`, '--'];
  const subjects = (await runGit(dir, [...args, ...paths])).split('\n');
  const named = subjects.filter((subject) => subject.startsWith(SUBJECT_PREFIX));
  return [...new Set(named.map((subject) => subject.slice(SUBJECT_PREFIX.length)))].reverse();
}

function summary(
  base: string,
  tip: string,
  steps: RehearsalStep[],
  mergeTrees: number,
): MergeRehearsal {
  return {
    base,
    tip,
    steps,
    conflicts: steps.flatMap((step) => (step.conflict ? [step.conflict] : [])),
    missing: steps.filter((step) => step.outcome === 'missing').map((step) => step.wpId),
    mergeTrees,
  };
}
