import type { SprintProgress } from '../domain/progress';
import { renderSummary } from '../domain/render-progress';
import { sprintStatusJson } from '../domain/status-json';
import { progressQuery } from '../workflows';
import type { CliIO } from './io';
import { createLiveView } from './live';
import { exitCodeFor, finalState } from './sprint-client';
import type { SprintHandle } from './sprint-client';

export interface FollowOptions {
  json?: boolean;
  /** Stops following (not the sprint). */
  signal?: AbortSignal;
  pollMs?: number;
  links?: { webUi?: string };
}

/** Shows a sprint live until it ends, then its summary (or JSON); returns the exit code. */
export async function followSprint(
  handle: SprintHandle,
  io: CliIO,
  options: FollowOptions = {},
): Promise<number> {
  const view = options.json ? undefined : createLiveView(io);
  let done = false;
  const stopped = new Promise<never>((_resolve, reject) => {
    options.signal?.addEventListener('abort', () => reject(new Error('interrupted')), {
      once: true,
    });
  });
  stopped.catch(() => undefined);
  // Aborting the long poll too: a call left retrying would outlive the connection.
  const final = options.signal
    ? handle.client.withAbortSignal(options.signal, () => finalState(handle))
    : finalState(handle);
  const result = Promise.race([final, stopped]).finally(() => (done = true));
  const poll = async (): Promise<void> => {
    while (!done) {
      try {
        view?.update(await handle.query(progressQuery));
      } catch {
        // The sprint may be between workflow tasks or just finished; the next poll will tell.
      }
      await Promise.race([result.catch(() => undefined), sleep(options.pollMs ?? 500)]);
    }
  };
  const polling = poll();
  let state: SprintProgress;
  try {
    state = await result;
    view?.update(state);
  } finally {
    await polling;
    view?.stop();
  }
  if (options.json) io.out(JSON.stringify(sprintStatusJson(state, options.links ?? {}), null, 2));
  else io.out(`\n${renderSummary(state)}`);
  return exitCodeFor(state);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
