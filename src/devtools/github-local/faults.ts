import http from 'node:http';
import { githubError } from './handlers';
import type { ApiResponse } from './handlers';

const SECONDARY_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';

export interface Fault {
  /** Answer with this status (e.g. 500, 502, 401, 404) and GitHub's message for it. */
  status?: number;
  /** Destroy the socket without answering: the client sees a connection reset. */
  reset?: boolean;
  /** Answer this late, e.g. later than the client's timeout. */
  delayMs?: number;
  /** Seconds: a secondary rate limit (403, or `status` if given) with a `retry-after` header. */
  retryAfter?: number;
  /** Epoch seconds: a primary rate limit (403, or `status` if given) with `x-ratelimit-remaining: 0`. */
  rateLimitReset?: number;
  /** How many requests it applies to; forever when absent. */
  times?: number;
  match?: { method?: string; path?: RegExp };
}

/** Faults applied in the order queued, each to the requests its `match` selects. */
export class FaultQueue {
  private queue: { fault: Fault; left: number }[] = [];

  add(fault: Fault): void {
    this.queue.push({ fault, left: fault.times ?? Infinity });
  }

  clear(): void {
    this.queue = [];
  }

  /** The first fault that selects this request, used up by one. */
  take(method: string, path: string): Fault | undefined {
    const entry = this.queue.find(({ fault }) => selects(fault, method, path));
    if (!entry) return undefined;
    if (--entry.left <= 0) this.queue.splice(this.queue.indexOf(entry), 1);
    return entry.fault;
  }
}

function selects(fault: Fault, method: string, path: string): boolean {
  const match = fault.match;
  if (match?.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match?.path) {
    match.path.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
    if (!match.path.test(path)) return false;
  }
  return true;
}

/** What a fault answers instead of the endpoint; undefined for a delay alone. */
export function faultResponse(fault: Fault): ApiResponse | 'reset' | undefined {
  if (fault.reset) return 'reset';
  if (fault.retryAfter !== undefined) {
    const response = githubError(fault.status ?? 403, SECONDARY_LIMIT_MESSAGE);
    return { ...response, headers: { 'retry-after': String(fault.retryAfter) } };
  }
  if (fault.rateLimitReset !== undefined) {
    const response = githubError(fault.status ?? 403, 'API rate limit exceeded for user ID 1.');
    const headers = {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(fault.rateLimitReset),
    };
    return { ...response, headers };
  }
  if (fault.status !== undefined) return githubError(fault.status, faultMessage(fault.status));
  return undefined;
}

function faultMessage(status: number): string {
  if (status === 401) return 'Bad credentials';
  if (status >= 500 && status < 600) return 'Server Error';
  return http.STATUS_CODES[status] ?? 'Error';
}
