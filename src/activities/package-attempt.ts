/**
 * One attempt at a package's command: it takes the worktree (stopping whatever an earlier
 * attempt still runs), starts from the package's clean base unless the package resumes, runs
 * the command, and stops at once should a later attempt take the worktree over.
 */
import { ApplicationFailure } from '@temporalio/common';
import { packageBranch } from '../domain/ids';
import { runShellCommand } from './executor';
import type { CommandResult, RunShellCommandInput } from './executor';
import { attemptRef, keptAttempts, removeStaleLocks, resetToBase } from './git-attempts';
import { openRepository } from './git-exec';
import { readBranchRecord } from './git-records';
import { ATTEMPT_ENV, holdsLease, recordCommandGroup, takeWorktree } from './worktree-lease';
import type { WorktreeLease } from './worktree-lease';

/** What a retried attempt does with an earlier attempt's work: start clean, or go on from it. */
export type RetryMode = 'clean' | 'resume';

export interface PackageAttemptInput {
  sprintId: string;
  wpId: string;
  worktree: string;
  /** The prepared state of the worktree; read from the branch record when not given. */
  baseCommit?: string;
  retry?: RetryMode;
  /** Names the worker in the lease. */
  worker: string;
  /** The command and how to run it; its cwd is the worktree. */
  run: Omit<RunShellCommandInput, 'cwd' | 'onStart'>;
}

export interface PackageAttemptResult extends CommandResult {
  /** The n-th attempt on this worktree. */
  attempt: number;
  /** Refs that keep earlier attempts' work, oldest first. */
  keptAttempts: string[];
}

/** How often a running attempt checks that the worktree is still its own. */
const LEASE_CHECK_MS = 1_000;

export async function runPackageAttempt(input: PackageAttemptInput): Promise<PackageAttemptResult> {
  const { worktree } = input;
  const { lease, previous } = await takeWorktree(worktree, input.worker);
  let kept: string[] = [];
  if (previous) {
    await removeStaleLocks(worktree, packageBranch(input.sprintId, input.wpId));
    if (input.retry !== 'resume') await startClean(input, previous.attempt);
    kept = await keptAttempts(worktree, input.sprintId, input.wpId);
  }
  const superseding = new AbortController();
  const watch = setInterval(() => {
    void holdsLease(worktree, lease).then(
      (held) => held || superseding.abort(),
      () => undefined, // unreadable for a moment: asked again at the next tick
    );
  }, LEASE_CHECK_MS);
  let result: CommandResult;
  try {
    const signals = [superseding.signal, ...(input.run.signal ? [input.run.signal] : [])];
    result = await runShellCommand({
      ...input.run,
      cwd: worktree,
      env: { ...input.run.env, [ATTEMPT_ENV]: lease.token },
      signal: AbortSignal.any(signals),
      onStart: (pgid) => recordCommandGroup(worktree, lease, pgid),
    });
  } finally {
    clearInterval(watch);
  }
  if (superseding.signal.aborted || !(await holdsLease(worktree, lease))) throw superseded(lease);
  return { ...result, attempt: lease.attempt, keptAttempts: kept };
}

/** Keeps what the earlier attempt left under its ref, then resets the worktree to the base. */
async function startClean(input: PackageAttemptInput, earlier: number): Promise<void> {
  const branch = packageBranch(input.sprintId, input.wpId);
  const baseCommit = input.baseCommit ?? (await recordedBase(input.worktree, branch));
  await resetToBase({
    worktree: input.worktree,
    branch,
    baseCommit,
    keepAs: attemptRef(input.sprintId, input.wpId, earlier),
    label: `sprintwave: ${input.wpId} attempt ${earlier} as it was left`,
  });
}

async function recordedBase(worktree: string, branch: string): Promise<string> {
  const record = await readBranchRecord(await openRepository(worktree), branch);
  if (!record?.baseCommit) {
    throw ApplicationFailure.nonRetryable(
      `${worktree}: no prepared base is recorded for ${branch}, so it cannot start clean`,
      'BaseNotFound',
    );
  }
  return record.baseCommit;
}

function superseded(lease: WorktreeLease): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `attempt ${lease.attempt} was superseded: a later attempt took the worktree over`,
    'Superseded',
  );
}
