import { dayStartsAt } from './day-plan';
import { defaultIntegrationBranch, packageBranch } from './ids';
import type { SprintPlan } from './plan';
import type { Priority, Scope, SprintSpec, Strategy } from './spec';

export type PackageStatus =
  'pending' | 'in_progress' | 'completed' | 'failed' | 'blocked' | 'cancelled' | 'deferred';

export type SprintStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface WorkEvidence {
  commit: string;
  filesChanged: number;
  insertions: number;
  deletions: number;
  files: string[];
}

export interface PackageProgress {
  id: string;
  title: string;
  wave: number;
  dependsOn: string[];
  priority: Priority;
  points?: number;
  status: PackageStatus;
  agent?: string;
  /** Who does the work: an agent preset (`claude`), `sh` for a command, or `external`. */
  executor?: string;
  /** The name an external package's reporter gave (`by` in its reports). */
  reporter?: string;
  /** A multi-day sprint's package: its day, and when that day begins (epoch ms). */
  day?: number;
  dayStartsAt?: number;
  startedAt?: number;
  finishedAt?: number;
  filesCompleted: number;
  filesTotal: number;
  note?: string;
  attempt: number;
  branch: string;
  worktree?: string;
  commit?: string;
  filesChanged?: number;
  insertions?: number;
  deletions?: number;
  exitCode?: number | null;
  error?: string;
  outputTail?: string[];
  blockedBy?: string[];
  /** The package's checklist, when its spec has `tasks`: ticked off by `::done <id>` lines. */
  tasks?: TaskTick[];
  /** Refs keeping what earlier attempts left (`refs/sprintwave/<sprint>/<wp>/attempt-1`). */
  keptAttempts?: string[];
}

export interface TaskTick {
  id: string;
  done: boolean;
}

export interface MergeConflict {
  wpId: string;
  branch: string;
  files: string[];
}

export interface CheckResult {
  command: string;
  exitCode: number | null;
  passed: boolean;
  durationMs: number;
  outputTail: string[];
}

export type IntegrationStatus = 'pending' | 'merging' | 'checking' | 'done' | 'skipped';

export interface IntegrationProgress {
  branch: string;
  status: IntegrationStatus;
  commit?: string;
  worktree?: string;
  merged: string[];
  conflicts: MergeConflict[];
  checks: CheckResult[];
  error?: string;
}

export interface GithubReport {
  /** `owner/name#issue` */
  target: string;
  status: 'on' | 'disabled';
  error?: string;
}

export interface PushedBranch {
  branch: string;
  commit: string;
  /** The remote had it at this commit already: nothing was sent. */
  unchanged: boolean;
}

export interface PullRequestReport {
  url?: string;
  number?: number;
  draft?: boolean;
  created?: boolean;
  /** Why there is none, or who is still opening it. */
  note?: string;
  error?: string;
}

/** What the sprint handed to reviewers: branches pushed (or why none), the pull request. */
export interface DeliveryProgress {
  remote?: string;
  pushed: PushedBranch[];
  /** Why nothing was pushed. */
  notPushed?: string;
  /** The push was refused or failed: the sprint fails with it. */
  error?: string;
  pullRequest?: PullRequestReport;
}

export interface SprintProgress {
  id: string;
  title?: string;
  repo: string;
  base: string;
  strategy: Strategy;
  concurrency: number;
  scope: Scope;
  status: SprintStatus;
  /** The run that owns this sprint's branches; kept across retries of a finished sprint. */
  owner: string;
  startedAt: number;
  finishedAt?: number;
  waves: string[][];
  packages: PackageProgress[];
  integration: IntegrationProgress;
  /** Live progress on a GitHub issue, when the sprint file asks for it. */
  github?: GithubReport;
  /** Push and pull request, when the sprint file asks for them. */
  delivery?: DeliveryProgress;
  /** Things people should know that did not stop the sprint (a read-only checkout, say). */
  warnings: string[];
  /** The last event sequence number used: events are numbered per sprint, gapless. */
  eventSequence: number;
  /** Why the sprint did not complete, in sentences. */
  reasons: string[];
  /** What changed last, for headlines: `Package WP02 completed`. */
  headline: string;
}

export type ProgressEvent =
  | { type: 'package-started'; id: string; at: number; attempt: number }
  | { type: 'package-worktree'; id: string; attempt: number; worktree: string; branch: string }
  | {
      type: 'package-progress';
      id: string;
      attempt: number;
      done: number;
      total: number;
      note?: string;
      /** Every task id the executor said it finished so far (cumulative). */
      tasksDone?: string[];
      reporter?: string;
    }
  | {
      type: 'package-completed';
      id: string;
      at: number;
      evidence: WorkEvidence;
      note?: string;
      keptAttempts?: string[];
      reporter?: string;
      progress?: LastProgress;
    }
  | {
      type: 'package-failed';
      id: string;
      at: number;
      error: string;
      exitCode?: number | null;
      outputTail?: string[];
      keptAttempts?: string[];
      reporter?: string;
      progress?: LastProgress;
    }
  | { type: 'package-cancelled'; id: string; at: number }
  | { type: 'package-blocked'; id: string; by: string[] }
  /** Taken out of scope while the sprint runs (the deadline protocol, a day plan it does not fit). */
  | { type: 'package-deferred'; id: string; reason: string }
  | { type: 'package-retried'; id: string }
  | { type: 'integration-merging' }
  | {
      type: 'integration-merged';
      commit: string;
      worktree: string;
      merged: string[];
      conflicts: MergeConflict[];
    }
  | { type: 'integration-checked'; checks: CheckResult[] }
  | { type: 'integration-skipped'; reason: string }
  | { type: 'integration-failed'; error: string }
  | { type: 'github-disabled'; error: string }
  | { type: 'warning'; message: string }
  | {
      type: 'push-finished';
      remote: string;
      pushed: PushedBranch[];
      notPushed?: string;
      error?: string;
    }
  | { type: 'pull-request-delivered'; pullRequest: PullRequestReport }
  | { type: 'sprint-finished'; at: number; cancelled?: boolean };

/** The refs an attempt reported, or those of the package's earlier ends when it reported none. */
function keptAttemptsOf(
  wp: PackageProgress,
  event: { keptAttempts?: string[] },
): Pick<PackageProgress, 'keptAttempts'> {
  const refs = event.keptAttempts ?? wp.keptAttempts;
  return refs?.length ? { keptAttempts: refs } : {};
}

const TERMINAL: ReadonlySet<PackageStatus> = new Set([
  'completed',
  'failed',
  'blocked',
  'cancelled',
  'deferred',
]);

export function isTerminal(status: PackageStatus): boolean {
  return TERMINAL.has(status);
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
  let changed = false;
  const packages = state.packages.map((wp) => {
    if (wp.id !== id) return wp;
    const next = change(wp);
    if (!next || next === wp) return wp;
    changed = true;
    return next;
  });
  if (!changed) return state;
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

/** Ticked and total tasks of a package with a checklist; undefined without one. */
export function taskCounts(wp: PackageProgress): { completed: number; total: number } | undefined {
  if (!wp.tasks?.length) return undefined;
  return { completed: wp.tasks.filter((task) => task.done).length, total: wp.tasks.length };
}

/** Why a package cannot be retried now, or undefined when it can. */
export function retryRefusal(wp: PackageProgress): string | undefined {
  if (wp.status === 'failed' || wp.status === 'cancelled') return undefined;
  if (wp.status === 'blocked') {
    const by = (wp.blockedBy ?? []).join(', ');
    return `${wp.id} is blocked by ${by}; retry ${by} instead`;
  }
  return `${wp.id} is ${wp.status}; only a failed or cancelled package can be retried`;
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

export function finishSprint(
  state: SprintProgress,
  at: number,
  cancelled: boolean,
): SprintProgress {
  const reasons = sprintReasons(state);
  const status: SprintStatus = cancelled ? 'cancelled' : reasons.length ? 'failed' : 'completed';
  return {
    ...state,
    status,
    finishedAt: at,
    reasons: cancelled ? ['the sprint was cancelled', ...reasons] : reasons,
    headline: `Sprint ${status}`,
  };
}

/** Everything that stands between the sprint and `completed`. */
export function sprintReasons(state: SprintProgress): string[] {
  const reasons: string[] = [];
  for (const wp of state.packages) {
    if (wp.status === 'failed') reasons.push(`${wp.id} failed: ${wp.error ?? 'unknown error'}`);
    else if (wp.status === 'blocked')
      reasons.push(`${wp.id} was blocked by ${(wp.blockedBy ?? []).join(', ')}`);
    else if (wp.status === 'cancelled') reasons.push(`${wp.id} was cancelled`);
    else if (wp.status === 'pending' || wp.status === 'in_progress')
      reasons.push(`${wp.id} did not finish`);
  }
  const integration = state.integration;
  for (const conflict of integration.conflicts) {
    reasons.push(
      `${conflict.wpId} conflicts with the integration branch in ${conflict.files.join(', ')}`,
    );
  }
  for (const check of integration.checks) {
    if (!check.passed)
      reasons.push(`check \`${check.command}\` failed with exit code ${check.exitCode}`);
  }
  if (integration.error) reasons.push(`integration: ${integration.error}`);
  const delivery = state.delivery;
  if (delivery?.error)
    reasons.push(`push to ${delivery.remote ?? 'the remote'}: ${delivery.error}`);
  return reasons;
}

export interface OverallProgress {
  packages: number;
  completed: number;
  failed: number;
  inProgress: number;
  filesCompleted: number;
  filesTotal: number;
  percent: number;
}

/** Percent is the mean of the in-scope packages' own percents; deferred packages do not count. */
export function overallProgress(state: SprintProgress): OverallProgress {
  const inScope = state.packages.filter((wp) => wp.status !== 'deferred');
  let percentSum = 0;
  let filesCompleted = 0;
  let filesTotal = 0;
  for (const wp of inScope) {
    percentSum += packagePercent(wp);
    filesCompleted += wp.filesCompleted;
    filesTotal += wp.filesTotal;
  }
  return {
    packages: inScope.length,
    completed: inScope.filter((wp) => wp.status === 'completed').length,
    failed: inScope.filter((wp) => wp.status === 'failed').length,
    inProgress: inScope.filter((wp) => wp.status === 'in_progress').length,
    filesCompleted,
    filesTotal,
    percent: inScope.length ? Math.round(percentSum / inScope.length) : 100,
  };
}

/** An executor's `::progress` counts when it gave any; otherwise its checklist, when it has one. */
export function packagePercent(wp: PackageProgress): number {
  if (wp.status === 'completed') return 100;
  if (wp.status !== 'in_progress') return 0;
  const tasks = taskCounts(wp);
  const [done, total] =
    wp.filesTotal === 0 && tasks
      ? [tasks.completed, tasks.total]
      : [wp.filesCompleted, wp.filesTotal];
  if (total === 0) return 0;
  return Math.min(99, Math.round((done / total) * 100));
}

/**
 * Who does a package's work, as tables show it: `sh` for a command, `external` (or the name its
 * reporter gave), and for an agent its preset, as `impl-claude-163000` once it started.
 */
export function agentLabel(wp: PackageProgress): string {
  if (wp.executor === undefined) return wp.agent ?? '—';
  if (wp.executor === 'external') return wp.reporter ?? 'external';
  if (wp.executor === 'sh') return wp.executor;
  if (wp.startedAt === undefined || wp.status === 'pending') return wp.executor;
  const time = new Date(wp.startedAt).toISOString().slice(11, 19).replace(/:/g, '');
  return `impl-${wp.executor}-${time}`;
}

/** Whether the package's child workflow was ever started, so its Web UI page exists. */
export function hasChildWorkflow(wp: PackageProgress): boolean {
  if (wp.status === 'pending') return wp.attempt > 1 && wp.startedAt !== undefined;
  const ran =
    wp.status === 'in_progress' ||
    wp.status === 'completed' ||
    wp.status === 'failed' ||
    wp.status === 'cancelled';
  return ran && wp.startedAt !== undefined;
}

/** A pending package of a multi-day sprint whose day has not begun at `now`. */
export function waitsForDay(wp: PackageProgress, now: number): boolean {
  return wp.status === 'pending' && wp.dayStartsAt !== undefined && wp.dayStartsAt > now;
}

export const OUTPUT_LINES_SHOWN = 10;
export const OUTPUT_LINE_WIDTH = 200;

/**
 * The end of a failed package's output as people are shown it: the last lines, each cut to a
 * width, with credentials taken out.
 */
export function failureOutput(
  wp: Pick<PackageProgress, 'outputTail'>,
  lines = OUTPUT_LINES_SHOWN,
): string[] {
  const tail = (wp.outputTail ?? []).map((line) => line.replace(/\s+$/, ''));
  while (tail.length && tail[tail.length - 1] === '') tail.pop();
  return tail.slice(-lines).map((line) => {
    const clean = redactSecrets(line);
    return clean.length > OUTPUT_LINE_WIDTH ? `${clean.slice(0, OUTPUT_LINE_WIDTH - 1)}…` : clean;
  });
}

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A remote URL's user and token, as git push messages are cleaned.
  [/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1[REDACTED]@'],
  [/\b(authorization:\s*(?:bearer|token|basic)\s+)\S+/gi, '$1[REDACTED]'],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[REDACTED]'],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, '[REDACTED]'],
  [/\bsk-[A-Za-z0-9_-]{20,}\b/g, '[REDACTED]'],
  [
    /\b([A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSPHRASE|API_KEY)[A-Z0-9_]*\s*[=:]\s*)\S+/g,
    '$1[REDACTED]',
  ],
];

/** Credentials a command may print (URLs with tokens, bearer headers, `*_TOKEN=`), replaced. */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((clean, [pattern, by]) => clean.replace(pattern, by), text);
}

/** What a package's child workflow ends with (a failed one fails, carrying this in its details). */
export type WorkPackageResult =
  | {
      status: 'completed';
      branch: string;
      worktree: string;
      evidence: WorkEvidence;
      note?: string;
      /** Refs that keep the work of earlier attempts (the branch holds only the last one's). */
      keptAttempts?: string[];
      /** The name an external package's reporter gave. */
      reporter?: string;
      /** Its executor's last progress: it stays with the package while it runs. */
      progress?: LastProgress;
    }
  | {
      status: 'failed';
      error: string;
      exitCode?: number | null;
      outputTail?: string[];
      branch?: string;
      worktree?: string;
      keptAttempts?: string[];
      reporter?: string;
      progress?: LastProgress;
    };

/** What a package's executor last said of its progress: counts, a note, the tasks it ticked. */
export interface LastProgress {
  done: number;
  total: number;
  note?: string;
  tasksDone?: string[];
}

/**
 * A running package's latest progress, read from where it lives — the heartbeats of its
 * command's activity, or an external package's own workflow — never from the sprint's history.
 */
export interface LiveProgress extends LastProgress {
  attempt: number;
  reporter?: string;
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
