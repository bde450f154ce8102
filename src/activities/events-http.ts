import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { EventEnvelope } from '../domain/events';

export interface HttpSink {
  url: string;
  token: string;
  timeoutMs: number;
}

/** The most events one POST carries. */
export const MAX_BATCH = 100;

/** How long to wait after a 429 that does not say (`Retry-After` missing or unreadable). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;

/** One event: its own id. Several: the sha256 of their ids; each event still carries its own `event_id`. */
export function idempotencyKey(events: readonly EventEnvelope[]): string {
  if (events.length === 1 && events[0]) return events[0].event_id;
  return createHash('sha256')
    .update(events.map((e) => e.event_id).join('\n'))
    .digest('hex');
}

/** POSTs one batch (at most MAX_BATCH events); resolves on 2xx, otherwise throws the ApplicationFailure to report. */
export async function postBatch(sink: HttpSink, events: readonly EventEnvelope[]): Promise<void> {
  const redact = (text: string): string => text.split(sink.token).join('[REDACTED]');
  let response: Response;
  try {
    response = await fetch(sink.url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${sink.token}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': idempotencyKey(events),
      },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(sink.timeoutMs),
    });
  } catch (error) {
    const reason = describe(error);
    const detail = /abort|timeout/i.test(reason)
      ? `no answer within ${sink.timeoutMs} ms`
      : redact(reason);
    throw ApplicationFailure.retryable(`Sync backend unreachable (${detail})`, 'SyncUnavailable');
  }

  const said = redact((await response.text().catch(() => '')).slice(0, 200).trim());
  const status = `${response.status}${said ? ` ${said}` : ''}`;
  if (response.ok) return;
  if (response.status === 401 || response.status === 403) {
    throw ApplicationFailure.nonRetryable(
      `Sync backend rejected the login (${status}): log in again with \`sprintwave auth login\``,
      'SyncUnauthorized',
    );
  }
  if (response.status === 429) {
    const waitMs = retryAfterMs(response.headers.get('retry-after'));
    throw ApplicationFailure.create({
      message: `Sync backend rate limit (429); retrying in ${Math.ceil(waitMs / 1000)} s`,
      type: 'SyncRateLimited',
      nextRetryDelay: waitMs,
    });
  }
  if (response.status === 408 || response.status >= 500) {
    throw ApplicationFailure.retryable(`Sync backend failed (${status})`, 'SyncUnavailable');
  }
  throw ApplicationFailure.nonRetryable(
    `Sync backend rejected the events (${status})`,
    'SyncRejected',
  );
}

function retryAfterMs(header: string | null): number {
  if (header !== null) {
    const seconds = Number(header);
    if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(seconds * 1000, 1000);
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(at - Date.now(), 1000);
  }
  return DEFAULT_RATE_LIMIT_WAIT_MS;
}

/** fetch hides the socket error in `cause` ("fetch failed" alone says nothing). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
