import { constants } from 'node:os';
import type { Worker } from '@temporalio/worker';
import type { TemporalSession } from './temporal';

/**
 * How the processes `api`, `worker`, `dev` and `run` stop. The first SIGINT or SIGTERM asks
 * whoever listens (onStopRequest) to stop in order; a second one, or a stop that outlasts
 * STOP_DEADLINE_MS, ends the process at once with 128 + the signal's number (130 for SIGINT,
 * 143 for SIGTERM), as a shell reports a process killed by it. Whatever is left then (the
 * embedded dev server, package commands) is on a lifeline and stops when this process is gone.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** Under Docker's and systemd's 10 s between SIGTERM and SIGKILL. */
export const STOP_DEADLINE_MS = 9_000;

export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

type StopListener = (signal: StopSignal) => void;

const listeners = new Set<StopListener>();
let stopping: StopSignal | undefined;
let watching = false;

/**
 * Calls `listener` at the first SIGINT/SIGTERM (at once when one came already). Signals have
 * their default effect while nobody listens. Returns what removes the listener.
 */
export function onStopRequest(listener: StopListener): () => void {
  listeners.add(listener);
  watchSignals(true);
  if (stopping) listener(stopping);
  return () => {
    listeners.delete(listener);
    // Once a stop began, a second signal must still force the exit.
    if (listeners.size === 0 && !stopping) watchSignals(false);
  };
}

function watchSignals(on: boolean): void {
  if (on === watching) return;
  watching = on;
  for (const signal of STOP_SIGNALS) {
    if (on) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

function onSignal(signal: StopSignal): void {
  if (stopping) {
    forceExit(signal, `Second ${signal}: exiting at once.`);
    return;
  }
  stopping = signal;
  const deadline = setTimeout(
    () =>
      forceExit(signal, `Did not stop within ${STOP_DEADLINE_MS / 1000} s of ${signal}: exiting.`),
    STOP_DEADLINE_MS,
  );
  deadline.unref(); // a process that stopped in time exits without waiting for it
  for (const listener of [...listeners]) listener(signal);
}

function forceExit(signal: StopSignal, why: string): void {
  process.stderr.write(`${why}\n`);
  process.exit(signalExitCode(signal));
}

/**
 * Keeps the process up until `work` settles: Node ends a process whose pending waits are all on
 * unref'd handles, with exit code 0, as if the command had succeeded.
 */
export function keepAliveUntil<T>(work: Promise<T>): Promise<T> {
  const timer = setInterval(() => undefined, 2 ** 30);
  return work.finally(() => clearInterval(timer));
}

/**
 * Ends the process with `code` once stdout and stderr are written out, so that nothing left
 * open (a gRPC channel, the Temporal runtime's threads) keeps a finished command alive.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const flushed = (): void => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
  // A reader that stopped reading must not hold the exit forever.
  setTimeout(() => process.exit(code), 2_000).unref();
}

export interface RunningWorker {
  /** Resolves when the worker stopped, rejects when it failed. */
  done: Promise<void>;
  /** Asks the worker to stop and waits until it stopped or failed; never rejects. */
  stop(): Promise<void>;
}

const FAILURE_POLL_MS = 200;
/** How long a failed worker gets to report its error before a generic one stands in for it. */
const FAILURE_REPORT_MS = 1_000;

/**
 * Runs `worker`. A failed worker can wait forever for its last tasks in its own clean-up (past
 * its shutdownForceTime too), so `done` settles as soon as the worker is FAILED, not when
 * `run()` returns.
 */
export function runWorker(worker: Worker): RunningWorker {
  const run = worker.run();
  let poll: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    poll = setInterval(() => {
      if (worker.getState() !== 'FAILED') return;
      clearInterval(poll);
      setTimeout(
        () => reject(new Error('The worker failed; its log says why.')),
        FAILURE_REPORT_MS,
      ).unref();
    }, FAILURE_POLL_MS);
  });
  const done = Promise.race([run, failed]).finally(() => clearInterval(poll));
  done.catch(() => undefined); // the caller sees the failure through `done` or `stop()`
  return {
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => undefined);
    },
  };
}

/** Runs every step in order even when one fails, reporting failures through `report`. */
export async function stopInOrder(
  steps: ReadonlyArray<readonly [what: string, step: (() => Promise<void>) | undefined]>,
  report: (what: string, error: unknown) => void,
): Promise<void> {
  for (const [what, step] of steps) {
    if (!step) continue;
    try {
      await step();
    } catch (error) {
      report(what, error);
    }
  }
}

/**
 * Closes a Temporal session. A worker that failed mid-shutdown may still hold the worker
 * connection, which then refuses to close: the embedded dev server is stopped all the same.
 */
export async function closeTemporal(temporal: TemporalSession): Promise<void> {
  try {
    await temporal.close();
  } catch (error) {
    await temporal.server?.stop();
    throw error;
  }
}
