import { ApplicationFailure } from '@temporalio/common';

/** What octokit's RequestError carries (`@octokit/request-error` is not a direct dependency). */
export interface HttpError extends Error {
  status: number;
  response?: { headers: Record<string, string | undefined>; data: unknown };
}

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof Error && typeof (error as Partial<HttpError>).status === 'number';
}

export function isNotFound(error: unknown): boolean {
  return isHttpError(error) && error.response !== undefined && error.status === 404;
}

/** What was being done, for messages: `listing comments on acme/shop#1`. */
export interface Attempt {
  action: string;
  target: string;
  timeoutMs: number;
  /** Removed from every message, whatever GitHub or the network said. */
  token?: string;
}

/** What a GithubRateLimited failure carries: how long GitHub asked for no request. */
export interface RateLimitDetails {
  retryAfterMs: number;
}

/** Why GitHub asks for no new request for a while (GitHub's advice when it gives no time). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** Turns an octokit or network error into the ApplicationFailure Temporal retries (or not). */
export function githubFailure(error: unknown, attempt: Attempt): ApplicationFailure {
  const redact = (text: string): string =>
    attempt.token ? text.split(attempt.token).join('[REDACTED]') : text;
  const what = `${attempt.action} ${attempt.target}`;

  if (!isHttpError(error) || !error.response) {
    const reason = error instanceof Error ? error.message : String(error);
    const timedOut = /abort|timeout|timed out/i.test(reason);
    const detail = timedOut ? `no answer within ${attempt.timeoutMs} ms` : redact(reason);
    return ApplicationFailure.retryable(
      `GitHub unreachable while ${what} (${detail})`,
      'GithubUnavailable',
    );
  }

  const { status, response } = error;
  const said = redact(githubMessage(response.data) ?? error.message);
  if (status === 401) {
    return ApplicationFailure.nonRetryable(
      `GitHub rejected the token (401 ${said}) while ${what}: check GITHUB_TOKEN`,
      'GithubUnauthorized',
    );
  }
  if (status === 403 || status === 429) {
    const waitMs = rateLimitWait(status, response.headers);
    if (waitMs === undefined) {
      return ApplicationFailure.nonRetryable(
        `GitHub refused ${what} (403 ${said}): does the token have access to it?`,
        'GithubForbidden',
      );
    }
    const details: RateLimitDetails = { retryAfterMs: waitMs };
    return ApplicationFailure.create({
      message: `GitHub rate limit (${status}) while ${what}; retrying in ${Math.ceil(waitMs / 1000)} s`,
      type: 'GithubRateLimited',
      nextRetryDelay: waitMs,
      // A workflow sees no nextRetryDelay: the wait goes in the details too, for those that hand it on.
      details: [details],
    });
  }
  if (status === 404 || status === 410) {
    return ApplicationFailure.nonRetryable(
      `GitHub has no ${attempt.target} (${status} ${said}), or the token cannot see it`,
      'GithubNotFound',
    );
  }
  if (status === 408 || status >= 500) {
    return ApplicationFailure.retryable(
      `GitHub failed while ${what} (${status} ${said})`,
      'GithubUnavailable',
    );
  }
  return ApplicationFailure.nonRetryable(
    `GitHub rejected ${what} (${status} ${said})`,
    'GithubRejected',
  );
}

/** How long GitHub asked us to wait; undefined for a 403 that is no rate limit. */
function rateLimitWait(
  status: number,
  headers: Record<string, string | undefined>,
): number | undefined {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(seconds * 1000, 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(at - Date.now(), 1000);
  }
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    if (!Number.isFinite(reset)) return DEFAULT_RATE_LIMIT_WAIT_MS;
    return Math.max(reset * 1000 - Date.now(), 1000);
  }
  return status === 429 ? DEFAULT_RATE_LIMIT_WAIT_MS : undefined;
}

/** GitHub's `message`, with its validation `errors` when there are any. */
function githubMessage(data: unknown): string | undefined {
  if (typeof data === 'string') return data || undefined;
  if (!data || typeof data !== 'object') return undefined;
  const { message, errors } = data as { message?: unknown; errors?: unknown };
  if (typeof message !== 'string') return undefined;
  return Array.isArray(errors) && errors.length > 0
    ? `${message}: ${JSON.stringify(errors)}`
    : message;
}
