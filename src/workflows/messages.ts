import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CompletionReport,
  ExternalPackageReply,
  FailureReport,
  ProgressReport,
} from '../domain/external-package';
import type { LiveProgress, SprintProgress } from '../domain/progress';

/** What a package's child workflow and its executor tell the sprint while the package runs. */
export type PackageUpdate =
  | { kind: 'worktree'; wpId: string; attempt: number; worktree: string; branch: string }
  | {
      kind: 'progress';
      wpId: string;
      attempt: number;
      done: number;
      total: number;
      note?: string;
      /** The checklist tasks done so far (`::done <id>` lines), all of them each time. */
      tasksDone?: string[];
      /** The name an external package's reporter gave. */
      reporter?: string;
    };

export const progressQuery = defineQuery<SprintProgress>('progress');
/**
 * An external package's latest progress, asked of its own workflow (`<sprintId>/<wpId>`): it
 * stays there, out of the sprint's history. A command's rides on its activity's heartbeats.
 */
export const packageProgressQuery = defineQuery<LiveProgress | undefined>('packageProgress');
export const packageUpdateSignal = defineSignal<[PackageUpdate]>('packageUpdate');
export const cancelSprintSignal = defineSignal<[reason?: string]>('cancelSprint');
/** GitHub asked the sprint's table for no request before this time (epoch ms): the outbox keeps to it. */
export const githubPausedSignal = defineSignal<[notBefore: number]>('githubPaused');
/** Retry a failed, cancelled or blocked package of a running sprint; answers with the new state. */
export const retryPackageUpdate = defineUpdate<SprintProgress, [wpId: string]>('retryPackage');
/** The refusal of a retry that came while the sprint was wrapping up: wait for it to end, then resume it. */
export const SPRINT_FINISHING = 'the sprint is finishing';
/** The failure types a refused retry comes back with: callers tell them apart by type, not text. */
export const RETRY_REFUSED = 'RetryRefused';
export const SPRINT_FINISHING_FAILURE = 'SprintFinishing';
export const UNKNOWN_PACKAGE_FAILURE = 'UnknownPackage';

/**
 * An external package's reports, as updates on its child workflow (`<sprintId>/<wpId>`). A
 * validator refuses a report that cannot apply (not external, not in progress, already
 * reported, a stale attempt, bad numbers), so a refusal costs no history.
 */
export const reportProgressUpdate = defineUpdate<ExternalPackageReply, [ProgressReport]>(
  'reportProgress',
);
export const completePackageUpdate = defineUpdate<ExternalPackageReply, [CompletionReport]>(
  'completePackage',
);
export const failPackageUpdate = defineUpdate<ExternalPackageReply, [FailureReport]>('failPackage');
