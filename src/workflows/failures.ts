import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/** The innermost message of an activity or child failure, for people. */
export function failureMessage(error: unknown): string {
  if ((error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) && error.cause) {
    return failureMessage(error.cause);
  }
  if (error instanceof ApplicationFailure || error instanceof Error) return error.message;
  return String(error);
}
