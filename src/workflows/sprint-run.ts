import { ApplicationFailure } from '@temporalio/common';
import {
  CancellationScope,
  condition,
  type ChildWorkflowOptions,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { DependencySummary } from '../domain/agents';
import { allSettled, nextStep } from '../domain/dispatch';
import { eventsForChange } from '../domain/event-log';
import type { ResolvedIdentity } from '../domain/events';
import { packageBranch, packageWorkflowId } from '../domain/ids';
import { planSprint } from '../domain/plan';
import type { SprintPlan } from '../domain/plan';
import { packageOf, retryRefusal } from '../domain/progress';
import type { ProgressEvent, SprintProgress } from '../domain/progress';
import { initialProgress, reduceProgress, resumeProgress } from '../domain/progress-reducer';
import type { SprintSpec } from '../domain/spec';
import { dayHasBegun, deferralsAt, nextWakeAt, sprintTimeline } from '../domain/timeline';
import type { Timeline } from '../domain/timeline';
import { packageDetails, packageSummary } from '../domain/web-ui';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';
import { now } from './clock';
import {
  comeToRest,
  continuation,
  HAND_OVER_PATCH,
  shouldContinueAsNew,
  shouldDrain,
} from './continue-as-new';
import type { SprintContinuation } from './continue-as-new';
import { pullRequestDelivery, pushDelivery } from './delivery';
import { eventStream } from './event-stream';
import { failureMessage } from './failures';
import { startGithubReporter } from './github-reporter';
import type { GithubReporter } from './github-reporter';
import { integrate } from './integration';
import { MergeRehearsal } from './merge-rehearsal';
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
import type { PackageEnd } from '../activities/package-end';
import { failedPackageOf, SPRINT_FAILS_PATCH } from './outcomes';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from './routing';
import { packageSearchAttributes, recordSprintStatus } from './search-attributes';
import { workPackageWorkflow } from './work-package';
import type { WorkPackageInput, WorkPackageResult } from './work-package';

const { resolveEventIdentity } = proxyActivities<Activities>(OPTIONS.resolveEventIdentity);
const { awaitPackageEnd } = proxyActivities<Activities>(OPTIONS.awaitPackageEnd);

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

/**
 * How the dispatch loop ended: every package settled, cancelled, or drained so the sprint can
 * continue as new (starting nothing more; runs before the hand-over also waited for the running
 * packages to be done, later ones hand them over running).
 */
export type DispatchEnd = 'settled' | 'cancelled' | 'drained';

/**
 * One run of a sprint's workflow: its state, the packages running, and the steps from the
 * first event to the final state. The state changes only through `apply`, and every change
 * counts up `version`, which is what the dispatch loop waits on.
 */
export class SprintRun {
  private readonly spec: SprintSpec;
  private readonly plan: SprintPlan;
  private readonly continued?: SprintContinuation;
  private readonly timeline: Timeline;
  private state: SprintProgress;
  private version = 0;
  private cancelled = false;
  /** Past the dispatch loop: a retry now could no longer start anything. */
  private finishing = false;
  /** Starting nothing more: once the running packages are done, the sprint continues as new. */
  private draining = false;
  private readonly events: ReturnType<typeof eventStream>;
  private readonly children = new CancellationScope();
  private readonly running = new Map<string, Promise<void>>();
  /** Children this run asked for that the server has not started yet. */
  private readonly starting = new Set<Promise<unknown>>();
  /** Packages an earlier run started and handed over running: their ends are awaited here. */
  private readonly adopted = new Set<string>();
  /**
   * Continue as new without waiting for the running packages: they are started so that they
   * outlive the run, and the next one adopts them.
   */
  private readonly handsOver: boolean;
  /** Packages started or ended by this run: a run hands over only once it moved the sprint on. */
  private moved = 0;
  private identity?: ResolvedIdentity;
  private reporter?: GithubReporter;
  private readonly rehearsal: MergeRehearsal;

  constructor(private readonly input: SprintWorkflowInput) {
    this.spec = input.spec;
    this.plan = planSprint(this.spec);
    this.continued = input.resume ? undefined : input.continued;
    this.state = input.resume
      ? resumeProgress(input.resume, input.retry ?? [])
      : (this.continued?.state ??
        initialProgress(this.spec, this.plan, now(), workflowInfo().firstExecutionRunId));
    this.events = eventStream(
      () => this.state,
      (next) => (this.state = next),
    );
    this.timeline = sprintTimeline(this.spec, this.plan, this.state.startedAt);
    this.handsOver = patched(HAND_OVER_PATCH);
    this.rehearsal = new MergeRehearsal(
      {
        spec: this.spec,
        order: this.plan.order,
        routeToHost: input.options?.routeToHost,
        state: () => this.state,
        apply: this.apply,
        stopped: () => this.cancelled,
        ended: () => {
          this.version++;
        },
      },
      this.continued?.changedFiles,
    );
  }

  /** The one way the state changes: reduced, counted, and turned into events. */
  private readonly apply = (event: ProgressEvent): void => {
    const before = this.state;
    this.state = reduceProgress(this.state, event);
    this.version++;
    this.events.emit(eventsForChange(before, this.state, event));
  };

  private cancel(reason?: string): void {
    if (this.cancelled) return;
    this.cancelled = true;
    log.info('Sprint cancelled', { sprint: this.spec.id, reason });
    this.children.cancel();
    for (const wpId of this.adopted) {
      // Its end still comes through awaitPackageEnd, once its workflow has wound down.
      void getExternalWorkflowHandle(packageWorkflowId(this.spec.id, wpId))
        .cancel()
        .catch((error: unknown) =>
          log.warn('Handed-over package not cancelled', { wp: wpId, error: failureMessage(error) }),
        );
    }
    this.version++;
  }

  /**
   * Adopts the packages the run before handed over, then takes the sprint's messages: its state
   * read, package updates, cancel and retry.
   */
  listen(): void {
    // Before the handlers: a cancel the run finds waiting must reach the packages it adopts.
    this.adoptRunning();
    setHandler(progressQuery, () => this.state);
    setHandler(packageUpdateSignal, (update) => this.apply(toEvent(update)));
    setHandler(cancelSprintSignal, (reason) => this.cancel(reason));
    setHandler(
      retryPackageUpdate,
      (wpId) => {
        this.apply({ type: 'package-retried', id: wpId });
        return this.state;
      },
      { validator: (wpId) => this.refuseRetry(wpId) },
    );
  }

  /** Throws the typed failure a caller of `retry` sees when the package cannot be retried now. */
  private refuseRetry(wpId: string): void {
    const wp = this.state.packages.find((candidate) => candidate.id === wpId);
    const refuse = (message: string, type = RETRY_REFUSED) => {
      throw ApplicationFailure.nonRetryable(message, type);
    };
    if (!wp)
      return refuse(`${wpId} is not a package of sprint ${this.spec.id}`, UNKNOWN_PACKAGE_FAILURE);
    if (this.cancelled) refuse(`sprint ${this.spec.id} is cancelled`);
    if (this.finishing) refuse(SPRINT_FINISHING, SPRINT_FINISHING_FAILURE);
    const refusal = retryRefusal(wp);
    if (refusal) refuse(refusal);
  }

  /** Resolves who the events come from, then starts the events and the GitHub comment. */
  async begin(): Promise<void> {
    const { spec, continued } = this;
    const identity = continued?.identity ?? (await resolveEventIdentity({ repo: spec.repo }));
    this.identity = identity;
    if (identity.warning) this.apply({ type: 'warning', message: identity.warning });
    // From here a cancel request winds down like the cancel signal: events and comment go on.
    const beside = besideCancellation();
    beside(() => this.events.start(identity, continued?.events));
    // A resumed sprint's reopened packages changed status before this run: those are transitions too.
    if (this.input.resume)
      this.events.emit(
        eventsForChange(this.input.resume, this.state, { type: 'package-retried', id: '' }),
      );

    const github = spec.github;
    const issue =
      github?.sync && continued?.state.github?.status !== 'disabled' ? github.issue : undefined;
    if (github && issue !== undefined) {
      this.reporter = beside(() =>
        startGithubReporter(
          spec.id,
          { ...github, issue },
          {
            state: () => this.state,
            version: () => this.version,
            disable: (error) => this.apply({ type: 'github-disabled', error }),
          },
        ),
      );
    }
  }

  /**
   * Starts packages as their dependencies complete and their days begin, blocks those whose
   * dependencies failed and defers what the deadline leaves out, until every package settled,
   * the sprint is cancelled, or it drained for continue-as-new.
   */
  async dispatch(): Promise<DispatchEnd> {
    const dayBegun = (wpId: string): boolean => dayHasBegun(this.timeline, wpId, now());
    try {
      let seen = -1;
      while (!this.cancelled) {
        for (const deferral of deferralsAt(this.timeline, this.state, now())) {
          this.apply({ type: 'package-deferred', ...deferral });
        }
        for (let step = nextStep(this.state); step.block.length; step = nextStep(this.state)) {
          for (const blocked of step.block) this.apply({ type: 'package-blocked', ...blocked });
        }
        if (!this.draining) {
          for (const wpId of nextStep(this.state, dayBegun).start) this.startPackage(wpId);
        }
        if (allSettled(this.state) && this.running.size === 0) break;
        if (this.draining && this.running.size === 0) break;
        this.draining ||= this.handsOver
          ? this.moved > 0 && shouldContinueAsNew(this.input.options?.continueAsNewAtEvents)
          : shouldDrain(this.running.size, this.input.options?.continueAsNewAtEvents);
        if (this.draining && this.handsOver) break;
        seen = this.version;
        const wake = nextWakeAt(this.timeline, this.state, now());
        if (wake === undefined) await condition(() => this.version !== seen);
        else await condition(() => this.version !== seen, Math.max(1, wake - now()));
      }
    } catch (error) {
      if (!isCancellation(error)) throw error;
      this.cancel('the workflow was cancelled');
    }
    if (this.cancelled) return 'cancelled';
    return this.draining && !allSettled(this.state) ? 'drained' : 'settled';
  }

  private startPackage(wpId: string): void {
    const { spec, input } = this;
    const wp = spec.packages.find((candidate) => candidate.id === wpId);
    if (!wp) return;
    const attempt = packageOf(this.state, wpId)?.attempt ?? 1;
    this.apply({ type: 'package-started', id: wpId, at: now(), attempt });
    this.moved++;
    const childInput: WorkPackageInput = {
      sprintId: spec.id,
      wp,
      repo: spec.repo,
      base: spec.base,
      dependencyBranches: wp.dependsOn.map((dep) => packageBranch(spec.id, dep)),
      owner: this.state.owner,
      attempt,
      heartbeatTimeoutMs: input.options?.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      ...(input.options?.routeToHost ? { routeToHost: true } : {}),
      ...(wp.agent ? { dependencySummaries: dependencySummaries(this.state, wp.dependsOn) } : {}),
    };
    const options = {
      workflowId: packageWorkflowId(spec.id, wpId),
      staticSummary: packageSummary(wp),
      staticDetails: packageDetails(spec.id, wp),
      typedSearchAttributes: packageSearchAttributes(spec.id, wpId),
      args: [childInput] as [WorkPackageInput],
    };
    const child = this.children.run(() =>
      this.handsOver ? this.startOutliving(options) : executeChild(workPackageWorkflow, options),
    );
    this.track(
      wpId,
      child.then(
        (result) => resultEvent(wpId, result),
        (error) => failureEvent(wpId, error),
      ),
    );
  }

  /**
   * A child that outlives this run when the sprint continues as new: a cancel of the sprint still
   * reaches it through the children's scope while this run lasts, and through its id afterwards.
   */
  private async startOutliving(
    options: Omit<ChildWorkflowOptions, 'typeInfo'> & { args: [WorkPackageInput] },
  ): Promise<WorkPackageResult> {
    const started = startChild(workPackageWorkflow, {
      ...options,
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    this.starting.add(started);
    const handle = await started.finally(() => this.starting.delete(started));
    return handle.result();
  }

  /** A package's end, whichever way it comes: its state, the rehearsal, and the loop told. */
  private track(wpId: string, ended: Promise<ProgressEvent>): void {
    this.running.set(
      wpId,
      ended
        .then((event) => {
          if (packageOf(this.state, wpId)?.status !== 'in_progress') return; // told already
          this.apply(event);
          this.moved++;
          if (event.type === 'package-completed') {
            this.rehearsal.completed(wpId, event.evidence.files);
          }
        })
        .finally(() => {
          this.running.delete(wpId);
          this.adopted.delete(wpId);
          this.version++;
        }),
    );
  }

  /**
   * Packages the run before handed over while they ran: their workflows outlived it, and their
   * ends are awaited here, beside any cancel (a cancel asks their workflows to wind down instead).
   */
  private adoptRunning(): void {
    if (!this.continued) return;
    for (const wp of this.state.packages) {
      if (wp.status !== 'in_progress' || this.running.has(wp.id)) continue;
      this.adopted.add(wp.id);
      const workflowId = packageWorkflowId(this.spec.id, wp.id);
      const end = CancellationScope.nonCancellable(() => awaitPackageEnd({ workflowId }));
      this.track(
        wp.id,
        end.then((ended) => adoptedEndEvent(wp.id, ended)),
      );
    }
  }

  /**
   * Brings the drained run to rest and says what the next run starts from; undefined when a
   * cancel came in meanwhile, and the sprint finishes here instead.
   */
  async handOver(): Promise<SprintWorkflowInput | undefined> {
    // A child the server has not started yet could be lost with this run.
    await Promise.allSettled([...this.starting]);
    await this.rehearsal.settled();
    await comeToRest({ reporter: this.reporter, events: this.events }).catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
      this.cancel('the workflow was cancelled');
    });
    if (this.cancelled) return undefined;
    const carry = {
      state: this.state,
      identity: this.identity as ResolvedIdentity,
      events: this.events.unsent(),
      changedFiles: this.rehearsal.changedFiles(),
    };
    return {
      spec: this.spec,
      options: this.input.options,
      continued: continuation(this.continued, carry),
    };
  }

  /**
   * Waits for the running packages, then integrates (or marks what never ran cancelled),
   * delivers, and hands the final state to the outboxes. Nothing here can be cancelled.
   */
  async finish(): Promise<SprintProgress> {
    this.finishing = true;
    const { spec, apply } = this;
    return CancellationScope.nonCancellable(async () => {
      await Promise.all(this.running.values());
      await this.rehearsal.settled();
      if (this.cancelled) {
        for (const wp of this.state.packages) {
          if (wp.status === 'pending' || wp.status === 'in_progress') {
            apply({ type: 'package-cancelled', id: wp.id, at: now() });
          }
        }
      } else {
        await integrate({
          spec,
          order: this.plan.order,
          state: () => this.state,
          apply,
          options: this.input.options,
        });
      }
      const delivery = { spec, state: () => this.state, apply };
      await pushDelivery({ ...delivery, cancelled: this.cancelled });
      apply({ type: 'sprint-finished', at: now(), cancelled: this.cancelled });
      await pullRequestDelivery(delivery);
      recordSprintStatus(this.state.status);
      log.info('Sprint finished', { sprint: spec.id, status: this.state.status });
      await Promise.all([this.reporter?.finish(this.state), this.events.finish()]);
      return this.state;
    });
  }
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

function adoptedEndEvent(wpId: string, end: PackageEnd): ProgressEvent {
  if (end.ended === 'result') return resultEvent(wpId, end.result);
  if (end.ended === 'cancelled') return { type: 'package-cancelled', id: wpId, at: now() };
  return { type: 'package-failed', id: wpId, at: now(), error: `its workflow ${end.error}` };
}

function failureEvent(wpId: string, error: unknown): ProgressEvent {
  const failed = failedPackageOf(error);
  if (failed) return resultEvent(wpId, failed);
  if (isCancellation(error)) return { type: 'package-cancelled', id: wpId, at: now() };
  return { type: 'package-failed', id: wpId, at: now(), error: failureMessage(error) };
}
