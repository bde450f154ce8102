import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import type { PullRequestReport, SprintProgress } from '../domain/progress';
import { formatTime, renderSummary } from '../domain/render-progress';
import { sprintStatusJson } from '../schemas/status-json';
import { queryLiveState } from '../runtime/live-progress';
import { outboxWorkflowId, pullRequestOutboxId } from '../domain/ids';
import { pullRequestHandedOver } from '../workflows/delivery';
import { outboxBacklogQuery } from '../workflows/github-outbox';
import type { OutboxBacklog } from '../workflows/github-outbox';
import type { CliIO } from './io';
import { createLiveView } from './live';
import { finalState } from '../service/sprints';
import type { SprintHandle } from '../service/sprints';
import { exitCodeFor } from './errors';

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
  return exitCodeFor(await followToEnd(handle, io, options));
}

/**
 * Follows a sprint to its end and, when it reports to GitHub, its delivery there a bounded time
 * more: the outboxes may run on this process's worker, and leaving at once would strand them.
 */
export async function followSprintAndDelivery(
  client: Client,
  handle: SprintHandle,
  io: CliIO,
  options: FollowOptions & { hasWorker: boolean },
): Promise<number> {
  const state = await followToEnd(handle, io, options);
  if (state.github || state.delivery?.pullRequest) {
    await followGithubDelivery(client, state, io, {
      hasWorker: options.hasWorker,
      signal: options.signal,
    });
  }
  return exitCodeFor(state);
}

/** As followSprint, returning the sprint's final state. */
export async function followToEnd(
  handle: SprintHandle,
  io: CliIO,
  options: FollowOptions = {},
): Promise<SprintProgress> {
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
        // Abortable: a call still out when the connection closes would be retried onto it.
        const read = () => queryLiveState(handle);
        view?.update(
          await (options.signal ? handle.client.withAbortSignal(options.signal, read) : read()),
        );
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
  else io.out(`\n${renderSummary(state, Infinity)}`);
  return state;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long `run` keeps its worker up after the sprint ends, for the sprint's GitHub delivery. */
export const GITHUB_DELIVERY_WAIT_MS = 10_000;
/** With the worker elsewhere nothing is lost by leaving: a short look, to say what goes on. */
const REMOTE_DELIVERY_LOOK_MS = 2_000;
/** A wait this long deserves a word: GitHub is slow or down. */
const DELIVERY_NOTICE_MS = 3_000;
/** A worker that is stopping must not hold the exit. */
const BACKLOG_QUERY_MS = 2_000;

export interface GithubDeliveryOptions {
  /** This process runs the worker: what it leaves queued waits for the next worker. */
  hasWorker: boolean;
  /** Stops waiting (Ctrl-C). */
  signal?: AbortSignal;
}

type OutboxOutcome =
  { kind: 'none' } | { kind: 'done'; result: unknown } | { kind: 'queued'; lastFailure?: string };

/**
 * Waits a bounded time for the sprint's outboxes (progress table, summary, pull request) to
 * reach GitHub, then says what is still queued and who delivers it.
 */
export async function followGithubDelivery(
  client: Client,
  state: SprintProgress,
  io: CliIO,
  options: GithubDeliveryOptions,
): Promise<void> {
  const waitMs = options.hasWorker ? GITHUB_DELIVERY_WAIT_MS : REMOTE_DELIVERY_LOOK_MS;
  // A plain timer: a signal from AbortSignal.any(AbortSignal.timeout()) can be collected unfired.
  const stop = new AbortController();
  const abort = (): void => stop.abort();
  const deadline = setTimeout(abort, waitMs);
  options.signal?.addEventListener('abort', abort, { once: true });
  const notice = options.hasWorker
    ? setTimeout(
        () => io.err(`Delivering to GitHub (waiting up to ${waitMs / 1000} s)…`),
        DELIVERY_NOTICE_MS,
      )
    : undefined;
  const outboxes = [
    { id: outboxWorkflowId(state.id), what: ['the progress table', 'the final summary'] },
    { id: pullRequestOutboxId(state.id), what: ['the pull request'] },
  ];
  let outcomes: OutboxOutcome[];
  try {
    outcomes = await Promise.all(outboxes.map(({ id }) => settle(client, id, stop.signal)));
  } finally {
    clearTimeout(deadline);
    clearTimeout(notice);
    options.signal?.removeEventListener('abort', abort);
  }

  const [, pullRequest] = outcomes;
  const opened = pullRequest?.kind === 'done' && pullRequestUrl(pullRequest.result);
  if (opened && pullRequestHandedOver(state))
    io.err(`Pull request opened after the sprint ended: ${opened}`);

  const queued = outboxes.flatMap((outbox, i) => {
    const outcome = outcomes[i];
    return outcome?.kind === 'queued' ? [{ ...outbox, lastFailure: outcome.lastFailure }] : [];
  });
  if (queued.length === 0) return;
  const interrupted = options.signal?.aborted === true;
  const lines = await Promise.all(
    queued.map(async ({ id, what, lastFailure }) => {
      const backlog = interrupted ? undefined : await readBacklog(client, id);
      const items = backlog?.undelivered.length ? backlog.undelivered : what;
      const waiting = backlog?.waitingUntil
        ? `; GitHub asked for no request before ${formatTime(backlog.waitingUntil)}`
        : '';
      const failure = lastFailure ? `; last try: ${lastFailure}` : '';
      return `  ${id}: ${items.join(', ')}${waiting}${failure}`;
    }),
  );
  const where = state.github?.target ? ` for ${state.github.target}` : '';
  io.err(
    options.hasWorker
      ? [
          `GitHub has not taken everything${where} within ${waitMs / 1000} s. Still queued in Temporal:`,
          ...lines,
          'The next `sprintwave dev` or `sprintwave worker` on this Temporal server delivers it.',
        ].join('\n')
      : [
          `Still being delivered to GitHub${where} by the workers on this Temporal server:`,
          ...lines,
        ].join('\n'),
  );
}

/** Whether an outbox ran, finished, or still holds something, with GitHub's last answer. */
async function settle(client: Client, id: string, stop: AbortSignal): Promise<OutboxOutcome> {
  const handle = client.workflow.getHandle(id);
  try {
    return { kind: 'done', result: await client.withAbortSignal(stop, () => handle.result()) };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { kind: 'none' };
  }
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return { kind: 'done', result: undefined };
    const lastFailure = description.raw.pendingActivities?.[0]?.lastFailure?.message;
    return { kind: 'queued', ...(lastFailure ? { lastFailure } : {}) };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { kind: 'none' };
    return { kind: 'queued' };
  }
}

async function readBacklog(client: Client, id: string): Promise<OutboxBacklog | undefined> {
  try {
    return await client.withDeadline(Date.now() + BACKLOG_QUERY_MS, () =>
      client.workflow.getHandle(id).query(outboxBacklogQuery),
    );
  } catch {
    // No worker answered in time: the generic description will do.
    return undefined;
  }
}

function pullRequestUrl(result: unknown): string | undefined {
  const url = (result as PullRequestReport | undefined)?.url;
  return typeof url === 'string' ? url : undefined;
}
