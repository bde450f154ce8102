import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { renderProgressTable } from '../domain/render-progress';
import { readLiveProgress } from '../runtime/live-progress';
import { githubPausedSignal, progressQuery } from '../workflows/messages';
import { rateLimitWait } from '../workflows/github-rate-limit';
import type { UpsertCommentInput, UpsertCommentResult } from './github';

export interface LiveTableInput {
  sprintId: string;
  /** The sprint's workflow, asked for its state at each refresh. */
  sprintWorkflowId: string;
  /** `owner/name` */
  repo: string;
  issue: number;
  /** At most one write per interval (the sprint's `github.minInterval`). */
  minIntervalMs: number;
}

/** Cancellation reaches an activity with a heartbeat's answer: one a second at least. */
const HEARTBEAT_MS = 1_000;
const QUERY_DEADLINE_MS = 10_000;

/**
 * Keeps the sprint's ONE progress comment up to date for as long as the sprint runs: every
 * interval it reads the sprint's state and its running packages' live progress, and writes the
 * table when it changed. It is one activity for the whole run, so the sprint's history does not
 * grow with the table's refreshes. Ends only when cancelled (the sprint ends or hands over), a
 * write in flight landing first; a refusal for good (bad token, no such issue) fails it.
 */
export function createLiveTableActivity(
  client: Client,
  upsert: (input: UpsertCommentInput) => Promise<UpsertCommentResult>,
) {
  return {
    async keepProgressTable(input: LiveTableInput): Promise<void> {
      const context = Context.current();
      const sprint = client.workflow.getHandle(input.sprintWorkflowId);
      let posted: string | undefined;
      let notBefore = 0;
      // Heartbeats all along, also while GitHub is slow to answer: a live worker keeps its table.
      context.heartbeat();
      const heartbeats = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
      try {
        await keepUpToDate();
      } finally {
        clearInterval(heartbeats);
      }

      async function keepUpToDate(): Promise<never> {
        for (;;) {
          // The first table waits one interval too, as the sprint's first changes come at once.
          await pause(context, Math.max(input.minIntervalMs, notBefore - Date.now()));
          let body: string;
          try {
            const state = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
              sprint.query(progressQuery),
            );
            body = renderProgressTable(await readLiveProgress(client.workflow, state));
          } catch (error) {
            context.log.warn('Sprint state not read for its table', { error: String(error) });
            continue;
          }
          if (body === posted) continue;
          try {
            await upsert({ ...input, kind: 'progress', body });
            posted = body;
          } catch (error) {
            const retryAfter = rateLimitWait(error);
            if (retryAfter !== undefined) {
              notBefore = Date.now() + retryAfter;
              // The outbox that writes the sprint's end must keep to it too: rare, so a signal.
              await sprint.signal(githubPausedSignal, notBefore).catch(() => undefined);
            } else if (error instanceof ApplicationFailure && error.nonRetryable) throw error;
            else context.log.warn('Progress table not written', { error: String(error) });
          }
        }
      }
    },
  };
}

/** Waits `ms`; rejects with the cancellation when the sprint cancels the table. */
async function pause(context: Context, ms: number): Promise<void> {
  await context.sleep(Math.max(0, ms));
}
