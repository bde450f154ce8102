import { ApplicationFailure } from '@temporalio/common';
import {
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { eventStream } from './event-stream';
import { comeToRest, continuation, shouldDrain } from './continue-as-new';
import type { SprintContinuation } from './continue-as-new';
import { integrate } from './integration';
import { pullRequestDelivery, pushDelivery } from './delivery';
import { failureMessage } from './failures';
import {
  FINAL_STATE_MEMO,
  SPRINT_FAILS_PATCH,
  failedPackageOf,
  sprintCancellation,
  sprintFailure,
} from './outcomes';
import { startGithubReporter } from './github-reporter';
import { packageBranch, packageWorkflowId } from '../domain/ids';
import { packageDetails, packageSummary } from '../domain/web-ui';
import { packageSearchAttributes, recordSprintStatus } from './search-attributes';
import { planSprint } from '../domain/plan';
import { initialProgress, reduceProgress, resumeProgress, retryRefusal } from '../domain/progress';
import type { ProgressEvent, SprintProgress } from '../domain/progress';
import { eventsForChange } from '../domain/event-log';
import { allSettled, nextStep } from '../domain/dispatch';
import { dayHasBegun, deferralsAt, nextWakeAt, sprintTimeline } from '../domain/timeline';
import type { SprintSpec } from '../domain/spec';
import type { DependencySummary } from '../domain/agents';
import {
  cancelSprintSignal,
  packageUpdateSignal,
  progressQuery,
  retryPackageUpdate,
  RETRY_REFUSED,
  SPRINT_FINISHING,
  SPRINT_FINISHING_FAILURE,
  UNKNOWN_PACKAGE_FAILURE,
} from './messages';
import type { PackageUpdate } from './messages';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from './routing';
import { workPackageWorkflow } from './work-package';
import type { WorkPackageResult } from './work-package';
import { now } from './clock';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

const { resolveEventIdentity } = proxyActivities<Activities>(OPTIONS.resolveEventIdentity);

export interface SprintWorkflowOptions {
  /** How long a silent executor may go before its worker counts as lost (default 5 s). */
  heartbeatTimeoutMs?: number;
  /** Per-check timeout for the integration checks (default 30 min). */
  checkTimeoutMs?: number;
  /** Continue as new past this many history events (default 5,000), or when the server suggests it. */
  continueAsNewAtEvents?: number;
  /** Each package's worktree work goes to one worker's own task queue (many workers). */
  routeToHost?: boolean;
}

export interface SprintWorkflowInput {
  spec: SprintSpec;
  /** The final state of an earlier run of this sprint, to go on from (retry after it ended). */
  resume?: SprintProgress;
  /** Packages to retry when resuming; every failed or cancelled one when empty. */
  retry?: string[];
  options?: SprintWorkflowOptions;
  /** Set by the sprint itself when it continues as new: where the run before left off. */
  continued?: SprintContinuation;
}

/** A sprint: packages in dependency waves, each in its own child workflow, then integration. */
export async function sprintWorkflow(input: SprintWorkflowInput): Promise<SprintProgress> {
  const { spec } = input;
  const plan = planSprint(spec);
  const continued = input.resume ? undefined : input.continued;
  let state = input.resume
    ? resumeProgress(input.resume, input.retry ?? [])
    : (continued?.state ?? initialProgress(spec, plan, now(), workflowInfo().firstExecutionRunId));
  let version = 0;
  let cancelled = false;
  /** Past the scheduling loop: a retry now could no longer start anything. */
  let finishing = false;
  const events = eventStream(
    () => state,
    (next) => (state = next),
  );
  const apply = (event: ProgressEvent): void => {
    const before = state;
    state = reduceProgress(state, event);
    version++;
    events.emit(eventsForChange(before, state, event));
  };

  const children = new CancellationScope();
  const running = new Map<string, Promise<void>>();
  const cancel = (reason?: string): void => {
    if (cancelled) return;
    cancelled = true;
    log.info('Sprint cancelled', { sprint: spec.id, reason });
    children.cancel();
    version++;
  };

  setHandler(progressQuery, () => state);
  setHandler(packageUpdateSignal, (update) => apply(toEvent(update)));
  setHandler(cancelSprintSignal, cancel);
  setHandler(
    retryPackageUpdate,
    (wpId) => {
      apply({ type: 'package-retried', id: wpId });
      return state;
    },
    {
      validator: (wpId) => {
        const wp = state.packages.find((candidate) => candidate.id === wpId);
        const refuse = (message: string, type = RETRY_REFUSED) => {
          throw ApplicationFailure.nonRetryable(message, type);
        };
        if (!wp)
          return refuse(`${wpId} is not a package of sprint ${spec.id}`, UNKNOWN_PACKAGE_FAILURE);
        if (cancelled) refuse(`sprint ${spec.id} is cancelled`);
        if (finishing) refuse(SPRINT_FINISHING, SPRINT_FINISHING_FAILURE);
        const refusal = retryRefusal(wp);
        if (refusal) refuse(refusal);
      },
    },
  );

  const identity = continued?.identity ?? (await resolveEventIdentity({ repo: spec.repo }));
  if (identity.warning) apply({ type: 'warning', message: identity.warning });
  // From here a cancel request winds down like the cancel signal: events and comment go on.
  const beside = besideCancellation();
  beside(() => events.start(identity, continued?.events));
  // A resumed sprint's reopened packages changed status before this run: those are transitions too.
  if (input.resume)
    events.emit(eventsForChange(input.resume, state, { type: 'package-retried', id: '' }));

  const github = spec.github;
  const issue =
    github?.sync && continued?.state.github?.status !== 'disabled' ? github.issue : undefined;
  const reporter =
    github && issue !== undefined
      ? beside(() =>
          startGithubReporter(
            spec.id,
            { ...github, issue },
            {
              state: () => state,
              version: () => version,
              disable: (error) => apply({ type: 'github-disabled', error }),
            },
          ),
        )
      : undefined;

  const startPackage = (wpId: string): void => {
    const wp = spec.packages.find((candidate) => candidate.id === wpId);
    if (!wp) return;
    const attempt = state.packages.find((candidate) => candidate.id === wpId)?.attempt ?? 1;
    apply({ type: 'package-started', id: wpId, at: now(), attempt });
    const child = children.run(() =>
      executeChild(workPackageWorkflow, {
        workflowId: packageWorkflowId(spec.id, wpId),
        staticSummary: packageSummary(wp),
        staticDetails: packageDetails(spec.id, wp),
        typedSearchAttributes: packageSearchAttributes(spec.id, wpId),
        args: [
          {
            sprintId: spec.id,
            wp,
            repo: spec.repo,
            base: spec.base,
            dependencyBranches: wp.dependsOn.map((dep) => packageBranch(spec.id, dep)),
            owner: state.owner,
            attempt,
            heartbeatTimeoutMs: input.options?.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
            ...(input.options?.routeToHost ? { routeToHost: true } : {}),
            ...(wp.agent ? { dependencySummaries: dependencySummaries(state, wp.dependsOn) } : {}),
          },
        ],
      }),
    );
    running.set(
      wpId,
      child
        .then(
          (result) => apply(resultEvent(wpId, result)),
          (error) => apply(failureEvent(wpId, error)),
        )
        .finally(() => {
          running.delete(wpId);
          version++;
        }),
    );
  };

  const timeline = sprintTimeline(spec, plan, state.startedAt);
  const dayBegun = (wpId: string): boolean => dayHasBegun(timeline, wpId, now());
  /** Starting nothing more: once the running packages are done, the sprint continues as new. */
  let draining = false;
  try {
    let seen = -1;
    while (!cancelled) {
      for (const deferral of deferralsAt(timeline, state, now())) {
        apply({ type: 'package-deferred', ...deferral });
      }
      for (let step = nextStep(state); step.block.length; step = nextStep(state)) {
        for (const blocked of step.block) apply({ type: 'package-blocked', ...blocked });
      }
      if (!draining) for (const wpId of nextStep(state, dayBegun).start) startPackage(wpId);
      if (allSettled(state) && running.size === 0) break;
      if (draining && running.size === 0) break;
      draining ||= shouldDrain(running.size, input.options?.continueAsNewAtEvents);
      seen = version;
      const wake = nextWakeAt(timeline, state, now());
      if (wake === undefined) await condition(() => version !== seen);
      else await condition(() => version !== seen, Math.max(1, wake - now()));
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    cancel('the workflow was cancelled');
  }
  if (draining && !cancelled && !allSettled(state)) {
    await comeToRest({ reporter, events }).catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
      cancel('the workflow was cancelled');
    });
    if (!cancelled) {
      const carry = { state, identity, events: events.unsent() };
      return continueAsNew<typeof sprintWorkflow>({
        spec,
        options: input.options,
        continued: continuation(continued, carry),
      });
    }
  }
  finishing = true;

  const final = await CancellationScope.nonCancellable(async () => {
    await Promise.all(running.values());
    if (cancelled) {
      for (const wp of state.packages) {
        if (wp.status === 'pending' || wp.status === 'in_progress') {
          apply({ type: 'package-cancelled', id: wp.id, at: now() });
        }
      }
    } else {
      await integrate({
        spec,
        order: plan.order,
        state: () => state,
        apply,
        options: input.options,
      });
    }
    const delivery = { spec, state: () => state, apply };
    await pushDelivery({ ...delivery, cancelled });
    apply({ type: 'sprint-finished', at: now(), cancelled });
    await pullRequestDelivery(delivery);
    recordSprintStatus(state.status);
    log.info('Sprint finished', { sprint: spec.id, status: state.status });
    await Promise.all([reporter?.finish(state), events.finish()]);
    return state;
  });
  // Failed sprints end Failed in the Web UI, their failure carrying the final state.
  if (final.status === 'failed' && patched(SPRINT_FAILS_PATCH)) throw sprintFailure(final);
  // Only a cancel request lets a run end Cancelled; one cancelled by signal alone completes.
  const cancelRequested = CancellationScope.current().consideredCancelled;
  if (final.status === 'cancelled' && cancelRequested && patched(SPRINT_FAILS_PATCH)) {
    // A Cancelled ending carries no details: the memo keeps the final state for readers.
    upsertMemo({ [FINAL_STATE_MEMO]: final });
    throw sprintCancellation(final);
  }
  return final;
}

/**
 * Starts what works beside the sprint (events, the GitHub comment) out of reach of a cancel
 * request, which only the packages and the scheduling loop should feel.
 */
function besideCancellation(): <T>(start: () => T) => T {
  if (!patched(SPRINT_FAILS_PATCH)) return (start) => start();
  const detached = new CancellationScope({ cancellable: false });
  return <T>(start: () => T): T => {
    const started: { value?: T; error?: unknown } = {};
    // run() calls start at once, inside the scope: what it starts takes the scope as parent.
    void detached.run(async () => {
      try {
        started.value = start();
      } catch (error) {
        started.error = error;
      }
    });
    if ('error' in started) throw started.error;
    return started.value as T;
  };
}

/** What an agent's prompt says of the packages it depends on: titles and their last notes. */
function dependencySummaries(state: SprintProgress, ids: readonly string[]): DependencySummary[] {
  return ids.flatMap((id) => {
    const wp = state.packages.find((candidate) => candidate.id === id);
    return wp ? [{ id, title: wp.title, ...(wp.note ? { note: wp.note } : {}) }] : [];
  });
}

function toEvent(update: PackageUpdate): ProgressEvent {
  if (update.kind === 'worktree') {
    return {
      type: 'package-worktree',
      id: update.wpId,
      attempt: update.attempt,
      worktree: update.worktree,
      branch: update.branch,
    };
  }
  return {
    type: 'package-progress',
    id: update.wpId,
    attempt: update.attempt,
    done: update.done,
    total: update.total,
    note: update.note,
    ...(update.tasksDone ? { tasksDone: update.tasksDone } : {}),
    ...(update.reporter ? { reporter: update.reporter } : {}),
  };
}

function resultEvent(wpId: string, result: WorkPackageResult): ProgressEvent {
  const kept = {
    ...(result.keptAttempts ? { keptAttempts: result.keptAttempts } : {}),
    ...(result.reporter ? { reporter: result.reporter } : {}),
    ...(result.progress ? { progress: result.progress } : {}),
  };
  if (result.status === 'completed') {
    return {
      type: 'package-completed',
      id: wpId,
      at: now(),
      evidence: result.evidence,
      note: result.note,
      ...kept,
    };
  }
  return {
    ...kept,
    type: 'package-failed',
    id: wpId,
    at: now(),
    error: result.error,
    exitCode: result.exitCode,
    outputTail: result.outputTail,
  };
}

function failureEvent(wpId: string, error: unknown): ProgressEvent {
  const failed = failedPackageOf(error);
  if (failed) return resultEvent(wpId, failed);
  if (isCancellation(error)) return { type: 'package-cancelled', id: wpId, at: now() };
  return { type: 'package-failed', id: wpId, at: now(), error: failureMessage(error) };
}
