/**
 * An external package as its child workflow sees it: the reports its agent sends, which of
 * them are refused and why, and how accepted ones change the package. Pure: no Temporal here.
 */

export type ExternalPhase = 'preparing' | 'in_progress' | 'completed' | 'failed';

export interface ExternalPackage {
  id: string;
  external: boolean;
  attempt: number;
  phase: ExternalPhase;
  filesCompleted: number;
  filesTotal: number;
  /** The ids of its checklist (`tasks`); a tick naming another is refused. */
  tasks: readonly string[];
  /** Every task of its checklist the agent has reported done, each once. */
  tasksDone: string[];
  note?: string;
  summary?: string;
  error?: string;
  /** The name the agent or person reporting gave (`by`), the latest one. */
  reporter?: string;
}

/** Every report may say who sends it: a person's or an agent's name, shown as the package's agent. */
interface Reporter {
  by?: string;
}

export interface ProgressReport extends Reporter {
  /** The attempt the agent works on; a report for an earlier one is refused. */
  attempt?: number;
  filesCompleted: number;
  filesTotal: number;
  note?: string;
  /** Tasks of the package's checklist now done (`T003`); earlier ones stay done. */
  tasksDone?: string[];
}

export interface CompletionReport extends Reporter {
  attempt?: number;
  summary?: string;
}

export interface FailureReport extends Reporter {
  attempt?: number;
  error: string;
}

export type ExternalReport =
  | ({ kind: 'progress' } & ProgressReport)
  | ({ kind: 'complete' } & CompletionReport)
  | ({ kind: 'fail' } & FailureReport);

/** What an accepted report is answered with. */
export interface ExternalPackageReply {
  id: string;
  status: 'in_progress' | 'completed' | 'failed';
  attempt: number;
  filesCompleted: number;
  filesTotal: number;
}

/** The failure types of a refused report: the API answers an unknown task 400, the rest 409. */
export const UNKNOWN_TASK_FAILURE = 'UnknownTask';
export const REPORT_REFUSED_FAILURE = 'ReportRefused';

export const MAX_NOTE_LENGTH = 500;
export const MAX_REPORT_TEXT_LENGTH = 4_000;
export const MAX_TASKS = 1_000;
export const MAX_TASK_ID_LENGTH = 64;
export const MAX_REPORTER_LENGTH = 40;
/** Letters, digits, spaces and `.`, `_`, `@`, `-`: a name that reads the same in a table cell. */
export const REPORTER_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._@-]*$/u;

export function externalPackage(
  id: string,
  external: boolean,
  attempt: number,
  tasks: readonly string[] = [],
): ExternalPackage {
  return {
    id,
    external,
    attempt,
    phase: 'preparing',
    filesCompleted: 0,
    filesTotal: 0,
    tasks,
    tasksDone: [],
  };
}

/** The worktree is ready: from now on the agent's reports are accepted. */
export function startExternal(pkg: ExternalPackage): ExternalPackage {
  return pkg.phase === 'preparing' ? { ...pkg, phase: 'in_progress' } : pkg;
}

/** No report came within the lease. */
export function stallExternal(pkg: ExternalPackage, lease: string): ExternalPackage {
  if (pkg.phase !== 'in_progress') return pkg;
  return { ...pkg, phase: 'failed', error: `stalled: no report within ${lease}` };
}

/** Why the report is refused, in a sentence; undefined when it is accepted. */
export function reportRefusal(pkg: ExternalPackage, report: ExternalReport): string | undefined {
  return (
    stateRefusal(pkg, report.attempt) ??
    reporterRefusal(report.by) ??
    (report.kind === 'progress'
      ? (progressRefusal(report) ?? unknownTaskRefusal(pkg, report))
      : report.kind === 'complete'
        ? textRefusal('summary', report.summary, MAX_REPORT_TEXT_LENGTH)
        : failureRefusal(report))
  );
}

export function applyReport(pkg: ExternalPackage, report: ExternalReport): ExternalPackage {
  if (report.by !== undefined) pkg = { ...pkg, reporter: report.by.trim() };
  switch (report.kind) {
    case 'progress':
      return {
        ...pkg,
        filesCompleted: report.filesCompleted,
        filesTotal: report.filesTotal,
        tasksDone: withTicks(pkg.tasksDone, report.tasksDone),
        note: report.note ?? pkg.note,
      };
    case 'complete':
      return { ...pkg, phase: 'completed', summary: report.summary };
    case 'fail':
      return { ...pkg, phase: 'failed', error: report.error };
  }
}

export function externalReply(pkg: ExternalPackage): ExternalPackageReply {
  return {
    id: pkg.id,
    status: pkg.phase === 'preparing' ? 'in_progress' : pkg.phase,
    attempt: pkg.attempt,
    filesCompleted: pkg.filesCompleted,
    filesTotal: pkg.filesTotal,
  };
}

function stateRefusal(pkg: ExternalPackage, attempt: unknown): string | undefined {
  if (!pkg.external) return `${pkg.id} is not external: its run command reports its progress`;
  if (attempt !== undefined) {
    if (!isCount(attempt) || attempt < 1) {
      return `attempt must be a whole number of at least 1, not ${show(attempt)}`;
    }
    if (attempt < pkg.attempt) {
      return `attempt ${attempt} is stale: the package is on attempt ${pkg.attempt}`;
    }
    if (attempt > pkg.attempt) {
      return `attempt ${attempt} has not started: the package is on attempt ${pkg.attempt}`;
    }
  }
  if (pkg.phase === 'preparing')
    return `${pkg.id} is not in progress: its worktree is not ready yet`;
  if (pkg.phase === 'completed') return `${pkg.id} already completed`;
  if (pkg.phase === 'failed') return `${pkg.id} already failed`;
  return undefined;
}

function progressRefusal(report: ProgressReport): string | undefined {
  const { filesCompleted, filesTotal } = report;
  if (!isCount(filesCompleted)) {
    return `filesCompleted must be a whole number of at least 0, not ${show(filesCompleted)}`;
  }
  if (!isCount(filesTotal)) {
    return `filesTotal must be a whole number of at least 0, not ${show(filesTotal)}`;
  }
  if (filesCompleted > filesTotal) {
    return `filesCompleted (${filesCompleted}) is more than filesTotal (${filesTotal})`;
  }
  return tasksRefusal(report.tasksDone) ?? textRefusal('note', report.note, MAX_NOTE_LENGTH);
}

function tasksRefusal(tasks: unknown): string | undefined {
  if (tasks === undefined) return undefined;
  if (!Array.isArray(tasks) || tasks.length > MAX_TASKS) {
    return `tasksDone must be a list of at most ${MAX_TASKS} task ids`;
  }
  const bad = tasks.find(
    (task) => typeof task !== 'string' || !task.trim() || task.length > MAX_TASK_ID_LENGTH,
  );
  return bad === undefined ? undefined : `tasksDone holds ${show(bad)}, which is not a task id`;
}

/** Why a progress report's ticks name a task the package does not have, or undefined. */
export function unknownTaskRefusal(
  pkg: ExternalPackage,
  report: ProgressReport,
): string | undefined {
  const unknown = (report.tasksDone ?? []).find((task) => !pkg.tasks.includes(task));
  if (unknown === undefined) return undefined;
  const known = pkg.tasks.length
    ? `its tasks: ${pkg.tasks.slice(0, 10).join(', ')}${pkg.tasks.length > 10 ? ', …' : ''}`
    : 'it has no tasks';
  return `tasksDone names ${show(unknown)}, which is not a task of ${pkg.id} (${known})`;
}

/** The tasks done so far and the new ones, each once, in the order they were first reported. */
function withTicks(done: readonly string[], ticks: readonly string[] | undefined): string[] {
  if (!ticks?.length) return [...done];
  return [...new Set([...done, ...ticks])].slice(0, MAX_TASKS);
}

function failureRefusal(report: FailureReport): string | undefined {
  if (typeof report.error !== 'string' || report.error.trim() === '') {
    return 'error must say what went wrong';
  }
  return textRefusal('error', report.error, MAX_REPORT_TEXT_LENGTH);
}

function reporterRefusal(by: unknown): string | undefined {
  if (by === undefined) return undefined;
  const name = typeof by === 'string' ? by.trim() : by;
  if (
    typeof name !== 'string' ||
    name.length > MAX_REPORTER_LENGTH ||
    !REPORTER_PATTERN.test(name)
  ) {
    return (
      `by must be a name of at most ${MAX_REPORTER_LENGTH} letters, digits, spaces, ` +
      `\`.\`, \`_\`, \`@\` or \`-\`, not ${show(by)}`
    );
  }
  return undefined;
}

function textRefusal(field: string, text: unknown, max: number): string | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string') return `${field} must be text, not ${show(text)}`;
  if (text.length > max) return `${field} is longer than ${max} characters`;
  return undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function show(value: unknown): string {
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
}
