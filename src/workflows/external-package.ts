import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { parseDuration } from '../domain/duration';
import {
  REPORT_REFUSED_FAILURE,
  UNKNOWN_TASK_FAILURE,
  applyReport,
  externalPackage,
  externalReply,
  reportRefusal,
  stallExternal,
  startExternal,
  unknownTaskRefusal,
} from '../domain/external-package';
import type { ExternalReport } from '../domain/external-package';
import type { LastProgress } from '../domain/progress';
import type { WorkPackageSpec } from '../domain/spec';
import { now } from './clock';
import { failureMessage } from './failures';
import {
  completePackageUpdate,
  failPackageUpdate,
  packageProgressQuery,
  packageUpdateSignal,
  reportProgressUpdate,
} from './messages';

/**
 * Patch id: from it on, an external package's progress stays in its own workflow (asked with
 * packageProgressQuery), and the sprint hears only of its status changes.
 */
export const PROGRESS_STAYS_WITH_PACKAGE = 'progress-stays-with-package';

/**
 * Accepted progress reaches the sprint at most this often, always the latest: the sprint's
 * history holds every package, so a chatty agent must not grow it with each report. Shorter
 * than the API's interval, so reports through the API are forwarded at once, without a timer.
 */
export const FORWARD_INTERVAL_MS = 500;

/** `reporter`: the name the agent or person reporting gave; `progress`: its last report. */
export type ExternalOutcome = { reporter?: string; progress?: LastProgress } & (
  { status: 'done'; note?: string } | { status: 'failed'; error: string }
);

export interface ExternalReports {
  /** The worktree is ready: accept reports, forward progress, watch the lease, until one ends it. */
  outcome(): Promise<ExternalOutcome>;
}

/**
 * Registers the report updates on the package's child workflow, before its first await, so a
 * report that comes early is refused with a reason rather than left without a handler.
 */
export function acceptExternalReports(wp: WorkPackageSpec, attempt: number): ExternalReports {
  let pkg = externalPackage(
    wp.id,
    wp.external,
    attempt,
    (wp.tasks ?? []).map((task) => task.id),
  );
  const leaseMs = wp.lease ? parseDuration(wp.lease) : undefined;
  let leaseEnds = Infinity;
  let progressReports = 0;

  const accept = (report: ExternalReport) => {
    pkg = applyReport(pkg, report);
    if (report.kind === 'progress') progressReports++;
    if (leaseMs) leaseEnds = now() + leaseMs;
    return externalReply(pkg);
  };
  const validate = (report: ExternalReport): void => {
    const refusal = reportRefusal(pkg, report);
    if (!refusal) return;
    // A tick of a task the package lacks is the report's fault (400), not the package state's (409).
    const unknownTask = report.kind === 'progress' && refusal === unknownTaskRefusal(pkg, report);
    throw ApplicationFailure.nonRetryable(
      refusal,
      unknownTask ? UNKNOWN_TASK_FAILURE : REPORT_REFUSED_FAILURE,
    );
  };
  setHandler(packageProgressQuery, () =>
    pkg.phase === 'in_progress'
      ? {
          attempt,
          done: pkg.filesCompleted,
          total: pkg.filesTotal,
          ...(pkg.note !== undefined ? { note: pkg.note } : {}),
          ...(pkg.tasksDone.length ? { tasksDone: pkg.tasksDone } : {}),
          ...(pkg.reporter ? { reporter: pkg.reporter } : {}),
        }
      : undefined,
  );
  setHandler(reportProgressUpdate, (report) => accept({ ...report, kind: 'progress' }), {
    validator: (report) => validate({ ...report, kind: 'progress' }),
  });
  setHandler(completePackageUpdate, (report) => accept({ ...report, kind: 'complete' }), {
    validator: (report) => validate({ ...report, kind: 'complete' }),
  });
  setHandler(failPackageUpdate, (report) => accept({ ...report, kind: 'fail' }), {
    validator: (report) => validate({ ...report, kind: 'fail' }),
  });

  const ended = () => pkg.phase === 'completed' || pkg.phase === 'failed';

  const watchLease = async (): Promise<void> => {
    if (!leaseMs || !wp.lease) return condition(ended);
    leaseEnds = now() + leaseMs;
    // One timer per lease period, not one per report: a report only moves the deadline.
    while (!ended()) {
      const left = leaseEnds - now();
      if (left <= 0) {
        pkg = stallExternal(pkg, wp.lease);
        log.warn('External package stalled', { wp: wp.id, lease: wp.lease });
        return;
      }
      await condition(ended, left);
    }
  };

  const forwardProgress = async (): Promise<void> => {
    const sprint = workflowInfo().parent;
    if (!sprint || patched(PROGRESS_STAYS_WITH_PACKAGE)) return condition(ended);
    const handle = getExternalWorkflowHandle(sprint.workflowId);
    let forwarded = progressReports;
    let forwardedAt = -Infinity;
    for (;;) {
      await condition(() => progressReports !== forwarded || ended());
      // A timer only when reports come faster than the interval: each one costs history too.
      const wait = forwardedAt + FORWARD_INTERVAL_MS - now();
      if (wait > 0 && !ended()) await condition(ended, wait);
      // A completion's commit gives the sprint its files; the last progress would be overwritten.
      if (progressReports !== forwarded && pkg.phase !== 'completed') {
        forwarded = progressReports;
        forwardedAt = now();
        const { filesCompleted: done, filesTotal: total, note, tasksDone, reporter } = pkg;
        await handle
          .signal(packageUpdateSignal, {
            kind: 'progress',
            wpId: wp.id,
            attempt,
            done,
            total,
            note,
            ...(tasksDone.length ? { tasksDone } : {}),
            ...(reporter ? { reporter } : {}),
          })
          .catch((error: unknown) =>
            log.warn('Sprint not told of progress', { wp: wp.id, error: failureMessage(error) }),
          );
      }
      if (ended()) return;
    }
  };

  return {
    async outcome() {
      pkg = startExternal(pkg);
      await Promise.all([watchLease(), forwardProgress()]);
      const reporter = {
        ...(pkg.reporter ? { reporter: pkg.reporter } : {}),
        ...(progressReports > 0
          ? {
              progress: {
                done: pkg.filesCompleted,
                total: pkg.filesTotal,
                ...(pkg.note !== undefined ? { note: pkg.note } : {}),
                ...(pkg.tasksDone.length ? { tasksDone: pkg.tasksDone } : {}),
              },
            }
          : {}),
      };
      return pkg.phase === 'completed'
        ? { status: 'done', note: pkg.summary, ...reporter }
        : { status: 'failed', error: pkg.error ?? `${wp.id} failed`, ...reporter };
    },
  };
}
