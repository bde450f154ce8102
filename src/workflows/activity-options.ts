import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';

/**
 * Every activity's timeouts and retries, in one place: the workflows proxy their activities with
 * these and nothing else. Routing (a worker's own task queue) and heartbeat timeouts that follow
 * the sprint's options are added where the activity is called.
 */
export type Activities = ReturnType<typeof createActivities>;

/** Retries forever with capped backoff: GitHub may be down for hours; rate limits set their own delay. */
export const GITHUB_RETRY = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
} as const;

/**
 * As GITHUB_RETRY, but a rate limit comes back to the workflow, which waits it out itself and
 * can hand a wait still pending to an outbox (the server's retry timer would die with the sprint).
 */
export const GITHUB_RETRY_UNTIL_RATE_LIMITED = {
  ...GITHUB_RETRY,
  nonRetryableErrorTypes: ['GithubRateLimited'],
};

/** Git steps on a worktree: a busy disk or a lock held a moment is worth several tries. */
export const GIT_RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
} as const;
const GIT_TIMEOUT = '10 minutes';

/** Reading state from Temporal itself (a sprint's, a worker's queue): short, a few tries. */
const READ_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
};

export const OPTIONS = {
  /** The project's identity for its events. */
  resolveEventIdentity: READ_OPTIONS,
  /** Which worker answers for a routed package. */
  claimWorkerQueue: READ_OPTIONS,
  /**
   * A package an earlier run of the sprint handed over: waited for as long as it runs, moved to
   * another worker when this one is lost.
   */
  awaitPackageEnd: {
    startToCloseTimeout: '3650 days',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1s', maximumInterval: '1 minute' },
  },
  /** A stand-up reads the sprint it reports on. */
  readSprintState: READ_OPTIONS,
  /** Runs recorded before dependency summaries came in the child's input. */
  readDependencySummaries: {
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1s', maximumAttempts: 3 },
  },
  /** Preparing a worktree and committing it, beside the child workflow (no task-queue trip). */
  localGit: { startToCloseTimeout: GIT_TIMEOUT, retry: GIT_RETRY } satisfies LocalActivityOptions,
  /** The same, on a routed worker's own queue. */
  routedGit: { startToCloseTimeout: GIT_TIMEOUT, retry: GIT_RETRY },
  /** The integration merge; its heartbeat timeout follows the sprint's. */
  merge: {
    startToCloseTimeout: '30 minutes',
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
  },
  /** The merge rehearsal after a package completes: objects only, quick; advisory, so few tries. */
  rehearseMerge: {
    startToCloseTimeout: '10 minutes',
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
  },
  /** The integration checks; their heartbeat timeout follows the sprint's. */
  checks: { startToCloseTimeout: '2 hours', retry: { maximumAttempts: 3 } },
  /** A package's command: a non-zero exit is a result; only a lost worker or a crash is retried. */
  runPackage: { retry: { initialInterval: '1s', maximumAttempts: 5 } },
  /** Events to the sync backend; a worker lost mid-send is noticed in seconds. */
  recordEvents: {
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
  },
  /** Pushing branches at the end of a sprint. */
  pushBranches: {
    startToCloseTimeout: '15 minutes',
    retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5 },
  },
  /**
   * A GitHub write from inside a sprint: a rate limit comes back to the workflow. A write held
   * by a lost worker is taken over in seconds, not after the whole minute.
   */
  githubInSprint: {
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '10 seconds',
    retry: GITHUB_RETRY_UNTIL_RATE_LIMITED,
  },
  /** A GitHub write from an outbox, which only delivers: the server retries everything. */
  githubOutbox: {
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '10 seconds',
    retry: GITHUB_RETRY,
  },
  /** A pull request from inside a sprint (no heartbeats: one request); rate limits come back. */
  githubPullRequestInSprint: {
    startToCloseTimeout: '1 minute',
    retry: GITHUB_RETRY_UNTIL_RATE_LIMITED,
  },
  /** A pull request from its outbox. */
  githubPullRequestOutbox: { startToCloseTimeout: '1 minute', retry: GITHUB_RETRY },
  /** A stand-up's comment: tried for a while, then the stand-up fails and says so. */
  githubStandup: {
    startToCloseTimeout: '1 minute',
    retry: { ...GITHUB_RETRY, maximumInterval: '1 minute', maximumAttempts: 10 },
  },
  /** The live progress table: as long as the sprint runs, moved on by its heartbeat timeout. */
  keepProgressTable: {
    startToCloseTimeout: '3650 days',
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '1s', maximumInterval: '1 minute' },
  },
} as const satisfies Record<string, ActivityOptions>;
