import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { SprintProgress, WorkPackageResult } from '../domain/progress';
import { progressQuery } from './messages';

/** Failure types that mark a run as Failed in the Web UI while carrying its result along. */
export const PACKAGE_FAILED = 'PackageFailed';
export const SPRINT_FAILED = 'SprintFailed';

/** Patch ids: runs recorded before these changes complete with the failure in their result. */
export const PACKAGE_FAILS_PATCH = 'package-fails-workflow';
export const SPRINT_FAILS_PATCH = 'sprint-fails-workflow';

type FailedPackage = Extract<WorkPackageResult, { status: 'failed' }>;

/** A failed package, as the failure its workflow ends with; the details keep the whole result. */
export function packageFailure(result: FailedPackage): ApplicationFailure {
  return ApplicationFailure.create({
    message: result.error,
    type: PACKAGE_FAILED,
    nonRetryable: true,
    details: [result],
  });
}

/** A failed sprint, as the failure its workflow ends with; the details keep the final state. */
export function sprintFailure(state: SprintProgress): ApplicationFailure {
  const reason = state.reasons[0] ?? 'a package failed';
  return ApplicationFailure.create({
    message: `Sprint ${state.id} failed: ${reason}`,
    type: SPRINT_FAILED,
    nonRetryable: true,
    details: [state],
  });
}

/** The memo key under which a cancelled sprint keeps its final state. */
export const FINAL_STATE_MEMO = 'finalState';

/** A cancelled sprint's ending; the server keeps no details for it, so the memo holds the state. */
export function sprintCancellation(state: SprintProgress): CancelledFailure {
  return new CancelledFailure(`Sprint ${state.id} was cancelled`);
}

/** The failed package's result a child workflow failure carries, found anywhere in its causes. */
export function failedPackageOf(error: unknown): FailedPackage | undefined {
  return detailsOfType<FailedPackage>(error, PACKAGE_FAILED);
}

/** The final state a failed sprint run carries, found anywhere in the error's causes. */
export function failedSprintStateOf(error: unknown): SprintProgress | undefined {
  return detailsOfType<SprintProgress>(error, SPRINT_FAILED);
}

/** Whether the error says the run ended cancelled (a client's WorkflowFailedError or a child's failure). */
export function endedCancelled(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof CancelledFailure) return true;
  }
  return false;
}

function detailsOfType<T>(error: unknown, type: string): T | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure && cause.type === type) {
      return cause.details?.[0] as T | undefined;
    }
  }
  return undefined;
}

/**
 * A finished sprint run's final state, whether it completed, failed or was cancelled: a cancelled
 * run keeps it in its memo (runs from before that answer the progress query, through a worker).
 */
export async function settledSprintState(handle: {
  result(): Promise<unknown>;
  describe: WorkflowHandle['describe'];
  query: WorkflowHandle['query'];
}): Promise<SprintProgress> {
  try {
    return (await handle.result()) as SprintProgress;
  } catch (error) {
    const state = failedSprintStateOf(error);
    if (state) return state;
    if (!endedCancelled(error)) throw error;
    const { memo } = await handle.describe();
    const kept = memo?.[FINAL_STATE_MEMO] as SprintProgress | undefined;
    return kept ?? (await handle.query(progressQuery));
  }
}
