import { allHandlersFinished, condition, log, workflowInfo } from '@temporalio/workflow';
import type { EventEnvelope } from '../domain/events';
import type { SprintProgress } from '../domain/progress';
import type { ResolvedIdentity } from '../domain/events';

/**
 * Temporal warns at 10,240 events or 10 MB of history. A sprint hands over to a new run when
 * the server suggests it, or past these limits, with room left for the packages still running.
 */
export const CONTINUE_AS_NEW_AT_EVENTS = 5_000;
const CONTINUE_AS_NEW_AT_BYTES = 4 * 1024 * 1024;

/** What a sprint run hands to the next one when it continues as new. */
export interface SprintContinuation {
  /**
   * The progress so far. Its packages in progress run on: the next run awaits their ends (runs
   * before HAND_OVER_PATCH drained first, and left none).
   */
  state: SprintProgress;
  identity: ResolvedIdentity;
  /** Events numbered by an earlier run that the sync backend has not taken yet, in order. */
  events: EventEnvelope[];
  /**
   * The files each package changed, as far as the runs before saw them complete: the merge
   * rehearsal of the next run knows which completions can meet. Absent from runs before it.
   */
  changedFiles?: Record<string, readonly string[]>;
  /** How many runs of the sprint came before this one. */
  runs: number;
}

/**
 * Patch id: a run continues as new with its packages still running, started to outlive it; the
 * next run adopts them. Runs before it drained first, waiting for every running package.
 */
export const HAND_OVER_PATCH = 'hand-over-running-packages';

/** True when the server suggests a new run, or this run's history is past the limits above. */
export function shouldContinueAsNew(limit = CONTINUE_AS_NEW_AT_EVENTS): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength >= limit ||
    info.historySize >= CONTINUE_AS_NEW_AT_BYTES
  );
}

/**
 * Runs before HAND_OVER_PATCH: true when this run should stop starting packages and continue as
 * new once the running ones are done. Only a run with packages running drains.
 */
export function shouldDrain(running: number, limit = CONTINUE_AS_NEW_AT_EVENTS): boolean {
  return running > 0 && shouldContinueAsNew(limit);
}

export interface RunParts {
  reporter?: { stop(): Promise<void> };
  events: { pause(): Promise<void> };
}

/** Brings the GitHub reporter and the event shipper to rest and lets message handlers finish. */
export async function comeToRest({ reporter, events }: RunParts): Promise<void> {
  await reporter?.stop();
  await events.pause();
  await condition(allHandlersFinished);
}

/** The carry-over for the next run; read right before continuing, so nothing arrives after it. */
export function continuation(
  previous: SprintContinuation | undefined,
  carry: Omit<SprintContinuation, 'runs'>,
): SprintContinuation {
  const runs = (previous?.runs ?? 0) + 1;
  const info = workflowInfo();
  log.info('Sprint continues as new', {
    sprint: carry.state.id,
    runs,
    historyLength: info.historyLength,
    historySize: info.historySize,
  });
  return { ...carry, runs };
}
