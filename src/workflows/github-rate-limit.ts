import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { RateLimitDetails } from '../activities/github-errors';

/**
 * How long GitHub asked for no request, when `error` is its rate limit: thrown by a GitHub call
 * in an activity, or come back to a workflow wrapped in the activity's failure. Plain code
 * (no workflow API), so activities and workflows read a rate limit the same way.
 */
export function rateLimitWait(error: unknown): number | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure) || cause.type !== 'GithubRateLimited')
    return undefined;
  const details = cause.details?.[0] as Partial<RateLimitDetails> | undefined;
  return typeof details?.retryAfterMs === 'number' ? details.retryAfterMs : undefined;
}
