import { dayStartsAt } from './day-plan';
import { deadlineAt } from './deadline';
import { defaultIntegrationBranch, packageBranch } from './ids';
import { finishSprint } from './outcome';
import { isTerminal, packageSlot, retryRefusal } from './progress';
import type {
  LiveProgress,
  PackageProgress,
  ProgressEvent,
  SprintProgress,
  TaskTick,
} from './progress';
import type { SprintPlan } from './plan';
import { conflictText, sameConflict } from './rehearsal';
import type { PredictedConflict } from './rehearsal';
import type { SprintSpec } from './spec';

/**
 * How a sprint's state changes: its first state, each event applied (`reduceProgress`, the one
 * place progress changes) and a finished sprint resumed.
 */

/** The refs an attempt reported, or those of the package's earlier ends when it reported none. */
function keptAttemptsOf(
  wp: PackageProgress,
  event: { keptAttempts?: string[] },
): Pick<PackageProgress, 'keptAttempts'> {
  const refs = event.keptAttempts ?? wp.keptAttempts;
  return refs?.length ? { keptAttempts: refs } : {};
}

/** `impl-<first three letters of the id>-<HHMMSS>` of the package's start, in UTC. */
export function agentId(wpId: string, startedAt: number): string {
  const letters =
    wpId
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 3)
      .toLowerCase() || 'wp';
  const time = new Date(startedAt).toISOString().slice(11, 19).replace(/:/g, '');
  return `impl-${letters}-${time}`;
}

export function initialProgress(
  spec: SprintSpec,
  plan: SprintPlan,
  startedAt: number,
  owner: string,
): SprintProgress {
  const deferred = new Set(plan.deferred);
  return {
    owner,
    id: spec.id,
    title: spec.title,
    repo: spec.repo,
    base: spec.base,
    strategy: spec.strategy,
    concurrency: spec.concurrency,
    scope: spec.scope,
    status: 'running',
    startedAt,
    ...deadlineOf(spec, startedAt),
    waves: plan.waves,
    packages: spec.packages.map((wp) => ({
      id: wp.id,
      title: wp.title,
      wave: plan.waveOf[wp.id] ?? 0,
      dependsOn: wp.dependsOn,
      priority: wp.priority,
      points: wp.points,
      status: deferred.has(wp.id) ? 'deferred' : 'pending',
      executor: wp.agent ?? (wp.external ? 'external' : 'sh'),
      ...dayOf(spec, plan, wp.id, startedAt),
      filesCompleted: 0,
      filesTotal: 0,
      attempt: 1,
      branch: packageBranch(spec.id, wp.id),
      ...(deferred.has(wp.id) ? { note: 'deferred: outside the MVP scope' } : {}),
      ...(wp.tasks?.length
        ? { tasks: wp.tasks.map((task) => ({ id: task.id, done: task.done ?? false })) }
        : {}),
    })),
    integration: {
      branch: spec.integration.branch ?? defaultIntegrationBranch(spec.id),
      status: 'pending',
      merged: [],
      conflicts: [],
      checks: [],
    },
    ...(spec.github?.sync && spec.github.issue
      ? { github: { target: `${spec.github.repo}#${spec.github.issue}`, status: 'on' as const } }
      : {}),
    warnings: [],
    eventSequence: 0,
    reasons: [],
    headline: 'Sprint started',
  };
}

function deadlineOf(spec: SprintSpec, startedAt: number): Pick<SprintProgress, 'deadlineAt'> {
  const at = spec.deadline === undefined ? undefined : deadlineAt(spec.deadline, startedAt);
  return at === undefined ? {} : { deadlineAt: at };
}

function dayOf(
  spec: SprintSpec,
  plan: SprintPlan,
  id: string,
  startedAt: number,
): Pick<PackageProgress, 'day' | 'dayStartsAt'> {
  const day = plan.dayPlan?.dayOf[id];
  if (!spec.days || day === undefined) return {};
  return { day, dayStartsAt: dayStartsAt(spec.days, day, startedAt) };
}

function updatePackage(
  state: SprintProgress,
  id: string,
  change: (wp: PackageProgress) => PackageProgress | undefined,
  headline?: string,
): SprintProgress {
  const slot = packageSlot(state, id);
  const wp = state.packages[slot];
  if (!wp) return state;
  const next = change(wp);
  if (!next || next === wp) return state;
  const packages = state.packages.slice();
  packages[slot] = next;
  return { ...state, packages, headline: headline ?? state.headline };
}

/** The one place progress changes. Events for a stale attempt are ignored. */
export function reduceProgress(state: SprintProgress, event: ProgressEvent): SprintProgress {
  switch (event.type) {
    case 'package-started':
      return updatePackage(
        state,
        event.id,
        (wp) => ({
          ...wp,
          status: 'in_progress',
          attempt: event.attempt,
          startedAt: event.at,
          finishedAt: undefined,
          agent: agentId(wp.id, event.at),
          error: undefined,
          exitCode: undefined,
          blockedBy: undefined,
          note: undefined,
        }),
        `Package ${event.id} started`,
      );
    case 'package-worktree':
      return updatePackage(state, event.id, (wp) =>
        wp.attempt === event.attempt
          ? { ...wp, worktree: event.worktree, branch: event.branch }
          : undefined,
      );
    case 'package-progress':
      return warnOfUnknownTasks(
        updatePackage(state, event.id, (wp) =>
          wp.attempt === event.attempt && wp.status === 'in_progress'
            ? {
                ...wp,
                filesCompleted: Math.min(event.done, event.total),
                filesTotal: event.total,
                note: event.note ?? wp.note,
                ...tickTasks(wp.tasks, event.tasksDone),
                ...reporterOf(event),
              }
            : undefined,
        ),
        event,
      );
    case 'package-completed':
      return updatePackage(
        warnOfUnknownTasks(state, { id: event.id, tasksDone: event.progress?.tasksDone }),
        event.id,
        (wp) => ({
          ...wp,
          status: 'completed',
          finishedAt: event.at,
          commit: event.evidence.commit,
          filesChanged: event.evidence.filesChanged,
          insertions: event.evidence.insertions,
          deletions: event.evidence.deletions,
          filesCompleted: event.evidence.filesChanged,
          filesTotal: event.evidence.filesChanged,
          exitCode: 0,
          note: event.note ?? event.progress?.note ?? wp.note,
          ...keptAttemptsOf(wp, event),
          ...reporterOf(event),
          ...tickTasks(wp.tasks, event.progress?.tasksDone),
        }),
        `Package ${event.id} completed`,
      );
    case 'package-failed':
      return updatePackage(
        warnOfUnknownTasks(state, { id: event.id, tasksDone: event.progress?.tasksDone }),
        event.id,
        (wp) => ({
          ...wp,
          status: 'failed',
          finishedAt: event.at,
          error: event.error,
          exitCode: event.exitCode,
          outputTail: event.outputTail,
          note: event.error,
          ...(event.progress
            ? {
                filesCompleted: Math.min(event.progress.done, event.progress.total),
                filesTotal: event.progress.total,
              }
            : {}),
          ...keptAttemptsOf(wp, event),
          ...reporterOf(event),
          ...tickTasks(wp.tasks, event.progress?.tasksDone),
        }),
        `Package ${event.id} failed`,
      );
    case 'package-cancelled':
      return updatePackage(
        state,
        event.id,
        (wp) =>
          isTerminal(wp.status) ? undefined : { ...wp, status: 'cancelled', finishedAt: event.at },
        `Package ${event.id} cancelled`,
      );
    case 'package-blocked':
      return updatePackage(
        state,
        event.id,
        (wp) => ({
          ...wp,
          status: 'blocked',
          blockedBy: event.by,
          note: `blocked by ${event.by.join(', ')}`,
        }),
        `Package ${event.id} blocked by ${event.by.join(', ')}`,
      );
    case 'package-deferred':
      return updatePackage(
        state,
        event.id,
        (wp) =>
          wp.status === 'pending'
            ? { ...wp, status: 'deferred', note: `deferred: ${event.reason}` }
            : undefined,
        `Package ${event.id} deferred: ${event.reason}`,
      );
    case 'package-retried':
      return retryPackage(state, event.id);
    case 'merge-rehearsed':
      return rehearsed(state, event.conflicts);
    case 'integration-merging':
      return {
        ...state,
        integration: { ...state.integration, status: 'merging' },
        headline: 'Merging packages',
      };
    case 'integration-merged':
      return {
        ...state,
        integration: {
          ...state.integration,
          status: 'checking',
          commit: event.commit,
          worktree: event.worktree,
          merged: event.merged,
          conflicts: event.conflicts,
        },
        headline: event.conflicts.length
          ? `Merged ${event.merged.length} packages, ${event.conflicts.length} in conflict`
          : `Merged ${event.merged.length} packages`,
      };
    case 'integration-checked':
      return {
        ...state,
        integration: { ...state.integration, status: 'done', checks: event.checks },
        headline: 'Integration checks finished',
      };
    case 'integration-skipped':
      return {
        ...state,
        integration: { ...state.integration, status: 'skipped', error: event.reason },
      };
    case 'integration-failed':
      return {
        ...state,
        integration: { ...state.integration, status: 'done', error: event.error },
        headline: 'Integration failed',
      };
    case 'github-disabled':
      return state.github
        ? { ...state, github: { ...state.github, status: 'disabled', error: event.error } }
        : state;
    case 'push-finished':
      return {
        ...state,
        delivery: {
          remote: event.remote,
          pushed: event.pushed,
          notPushed: event.notPushed,
          error: event.error,
        },
        headline: event.error ? `Push to ${event.remote} failed` : state.headline,
      };
    case 'pull-request-delivered':
      return {
        ...state,
        delivery: { pushed: [], ...state.delivery, pullRequest: event.pullRequest },
      };
    case 'warning':
      return state.warnings.includes(event.message)
        ? state
        : { ...state, warnings: [...state.warnings, event.message] };
    case 'sprint-finished':
      return finishSprint(state, event.at, event.cancelled ?? false);
  }
}

/** The rehearsal's conflicts replace the earlier ones; a new one becomes the headline. */
function rehearsed(state: SprintProgress, conflicts: PredictedConflict[]): SprintProgress {
  const before = state.predictedConflicts ?? [];
  const fresh = conflicts.find((conflict) => !before.some((old) => sameConflict(old, conflict)));
  const unchanged = !fresh && before.length === conflicts.length;
  if (unchanged) return state;
  return {
    ...state,
    predictedConflicts: conflicts,
    headline: fresh ? `Predicted conflict: ${conflictText(fresh)}` : state.headline,
  };
}

/** Ticks off the named tasks of a checklist; ids it does not hold are left to the warning. */
function tickTasks(
  tasks: TaskTick[] | undefined,
  done: string[] | undefined,
): { tasks?: TaskTick[] } {
  if (!tasks || !done?.length) return {};
  const named = new Set(done);
  return { tasks: tasks.map((task) => (named.has(task.id) ? { ...task, done: true } : task)) };
}

/** An event's reporter name, as a package's field; nothing when it has none. */
function reporterOf(event: { reporter?: string }): { reporter?: string } {
  return event.reporter ? { reporter: event.reporter } : {};
}

const UNKNOWN_TASKS_SHOWN = 10;

/** One warning per package naming the `::done` ids that are not on its checklist. */
function warnOfUnknownTasks(
  state: SprintProgress,
  event: { id: string; attempt?: number; tasksDone?: string[] },
): SprintProgress {
  const wp = state.packages.find((candidate) => candidate.id === event.id);
  const applies =
    (event.attempt === undefined || wp?.attempt === event.attempt) && wp?.status === 'in_progress';
  if (!wp || !applies || !event.tasksDone?.length) return state;
  const known = new Set((wp.tasks ?? []).map((task) => task.id));
  const unknown = event.tasksDone.filter((id) => !known.has(id));
  if (!unknown.length) return state;
  const prefix = `${wp.id}: ignored \`::done\` for tasks not on its checklist:`;
  const shown = unknown.slice(0, UNKNOWN_TASKS_SHOWN).join(', ');
  const more =
    unknown.length > UNKNOWN_TASKS_SHOWN ? ` and ${unknown.length - UNKNOWN_TASKS_SHOWN} more` : '';
  const message = `${prefix} ${shown}${more}`;
  if (state.warnings.includes(message)) return state;
  const others = state.warnings.filter((warning) => !warning.startsWith(prefix));
  return { ...state, warnings: [...others, message] };
}

/** A failed or cancelled package goes back to pending; the packages it blocked follow. */
function retryPackage(state: SprintProgress, id: string): SprintProgress {
  const retried = updatePackage(
    state,
    id,
    (wp) =>
      retryRefusal(wp) === undefined
        ? {
            ...wp,
            status: 'pending',
            attempt: wp.attempt + 1,
            error: undefined,
            exitCode: undefined,
            outputTail: undefined,
            blockedBy: undefined,
            note: `retry requested`,
            finishedAt: undefined,
          }
        : undefined,
    `Package ${id} retried`,
  );
  if (retried === state) return state;
  return {
    ...unblockDependents(retried, id),
    status: 'running',
    finishedAt: undefined,
    reasons: [],
  };
}

/** Packages blocked (directly or through others) by a retried package become pending again. */
function unblockDependents(state: SprintProgress, id: string): SprintProgress {
  const reopened = new Set([id]);
  let packages = state.packages;
  let grew = true;
  while (grew) {
    grew = false;
    packages = packages.map((wp) => {
      if (wp.status !== 'blocked' || !(wp.blockedBy ?? []).some((by) => reopened.has(by)))
        return wp;
      reopened.add(wp.id);
      grew = true;
      return { ...wp, status: 'pending', blockedBy: undefined, note: undefined };
    });
  }
  return { ...state, packages };
}

/** A finished sprint starts again: the given packages retried, completed work kept. */
export function resumeProgress(previous: SprintProgress, retry: string[]): SprintProgress {
  let state: SprintProgress = {
    ...previous,
    status: 'running',
    finishedAt: undefined,
    reasons: [],
    integration: {
      ...previous.integration,
      status: 'pending',
      merged: [],
      conflicts: [],
      checks: [],
      error: undefined,
    },
    delivery: undefined,
    headline: 'Sprint resumed',
  };
  const targets = retry.length
    ? retry
    : previous.packages
        .filter((wp) => wp.status === 'failed' || wp.status === 'cancelled')
        .map((wp) => wp.id);
  for (const id of targets) state = retryPackage(state, id);
  return state;
}

/** The sprint's state with its running packages' live progress (by package id) filled in. */
export function withLiveProgress(
  state: SprintProgress,
  live: ReadonlyMap<string, LiveProgress>,
): SprintProgress {
  let merged = state;
  for (const [id, progress] of live) {
    merged = reduceProgress(merged, {
      type: 'package-progress',
      id,
      attempt: progress.attempt,
      done: progress.done,
      total: progress.total,
      note: progress.note,
      ...(progress.tasksDone?.length ? { tasksDone: progress.tasksDone } : {}),
      ...(progress.reporter ? { reporter: progress.reporter } : {}),
    });
  }
  return merged;
}
