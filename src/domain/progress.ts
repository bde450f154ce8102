import type { PredictedConflict } from './rehearsal';
import type { Priority, Scope, Strategy } from './spec';

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
  /** When the sprint file's `deadline` falls (epoch ms), when it has one. */
  deadlineAt?: number;
  waves: string[][];
  packages: PackageProgress[];
  integration: IntegrationProgress;
  /**
   * Conflicts the merge rehearsal predicts between completed packages, while the sprint runs;
   * the final merge still decides.
   */
  predictedConflicts?: PredictedConflict[];
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
  /** The merge rehearsal ran over the packages completed so far: what it predicts now. */
  | { type: 'merge-rehearsed'; conflicts: PredictedConflict[] }
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

/** Where each package sits in `packages`, per waves array: the reducer keeps both as they are. */
const slotsByWaves = new WeakMap<readonly string[][], Map<string, number>>();

/**
 * The index in `packages` of the package with this id (-1 when there is none), found by its place
 * rather than by a search: a big sprint asks this for every change. The reducer never reorders
 * `packages` and keeps `waves` as it is.
 */
export function packageSlot(state: SprintProgress, id: string): number {
  let slots = slotsByWaves.get(state.waves);
  if (!slots || slots.size !== state.packages.length) {
    slots = new Map(state.packages.map((wp, index) => [wp.id, index]));
    slotsByWaves.set(state.waves, slots);
  }
  const slot = slots.get(id);
  if (slot !== undefined && state.packages[slot]?.id === id) return slot;
  return state.packages.findIndex((wp) => wp.id === id);
}

/** The package with this id, by its slot. */
export function packageOf(state: SprintProgress, id: string): PackageProgress | undefined {
  return state.packages[packageSlot(state, id)];
}
