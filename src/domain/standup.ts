import { nextStep } from './dispatch';
import type { PackageProgress, SprintProgress } from './progress';

const DAY_MS = 86_400_000;

export interface StandupItem {
  id: string;
  title: string;
  /** Why it is a blocker or a challenge, or the package's latest note. */
  detail?: string;
}

/** A stand-up of one sprint at one moment, in the daily plan's template. */
export interface Standup {
  sprintId: string;
  /** `YYYY-MM-DD` (UTC) of the moment it was taken. */
  date: string;
  yesterday: { completed: StandupItem[]; challenges: StandupItem[] };
  today: { focus?: string; inProgress: StandupItem[]; next: StandupItem[] };
  blockers: StandupItem[];
  progress: { pointsDone: number; pointsTotal: number; packagesDone: number; packages: number };
}

/**
 * What happened in the day before `now`, what is under way and next, what is stuck, and the
 * points done so far. Deferred packages are out of scope and count nowhere.
 */
export function buildStandup(state: SprintProgress, now: number): Standup {
  const since = now - DAY_MS;
  const inScope = state.packages.filter((wp) => wp.status !== 'deferred');
  const lastDay = (wp: PackageProgress) =>
    wp.finishedAt !== undefined && wp.finishedAt > since && wp.finishedAt <= now;
  const completed = inScope.filter((wp) => wp.status === 'completed');
  const inProgress = inScope.filter((wp) => wp.status === 'in_progress');
  const next = state.status === 'running' ? nextStep(state).start : [];
  const today = [...inProgress, ...inScope.filter((wp) => next.includes(wp.id))];
  return {
    sprintId: state.id,
    date: new Date(now).toISOString().slice(0, 10),
    yesterday: {
      completed: completed.filter(lastDay).map((wp) => item(wp, wp.note)),
      challenges: inScope
        .filter((wp) => lastDay(wp) && (wp.status === 'failed' || wp.status === 'cancelled'))
        .map((wp) => item(wp, wp.error ?? wp.status)),
    },
    today: {
      focus: today.length ? focusOf(today) : undefined,
      inProgress: inProgress.map((wp) => item(wp, filesNote(wp))),
      next: next
        .map((id) => inScope.find((wp) => wp.id === id))
        .filter(isDefined)
        .map((wp) => item(wp)),
    },
    blockers: inScope.filter(isStuck).map((wp) => item(wp, stuckReason(wp))),
    progress: {
      pointsDone: sumPoints(completed),
      pointsTotal: sumPoints(inScope),
      packagesDone: completed.length,
      packages: inScope.length,
    },
  };
}

/** The stand-up as Markdown, in the template of the daily plan. */
export function renderStandup(standup: Standup, title?: string): string {
  const list = (items: StandupItem[], empty: string) =>
    items.length ? items.map((entry) => `  - ${line(entry)}`) : [`  - ${empty}`];
  const { progress } = standup;
  return [
    `### Date: ${standup.date}`,
    ...(title ? [`**Sprint**: ${title}`] : []),
    '**Yesterday**:',
    '- Completed:',
    ...list(standup.yesterday.completed, 'nothing'),
    '- Challenges:',
    ...list(standup.yesterday.challenges, 'none'),
    '',
    '**Today**:',
    `- Focus: ${standup.today.focus ?? 'nothing left to start'}`,
    '- Goals:',
    ...list([...standup.today.inProgress, ...standup.today.next], 'none'),
    '',
    '**Blockers**:',
    ...(standup.blockers.length ? standup.blockers.map((entry) => `- ${line(entry)}`) : ['- None']),
    '',
    `**Progress**: ${progress.pointsDone}/${progress.pointsTotal} story points completed (${progress.packagesDone} of ${progress.packages} packages)`,
  ].join('\n');
}

function item(wp: PackageProgress, detail?: string): StandupItem {
  return detail ? { id: wp.id, title: wp.title, detail } : { id: wp.id, title: wp.title };
}

function line(entry: StandupItem): string {
  const text = `${entry.id} ${entry.title}`.replace(/\r?\n/g, ' ');
  return entry.detail ? `${text} (${entry.detail.replace(/\r?\n/g, ' ')})` : text;
}

function isStuck(wp: PackageProgress): boolean {
  return wp.status === 'failed' || wp.status === 'blocked';
}

function stuckReason(wp: PackageProgress): string {
  if (wp.status === 'blocked')
    return `blocked by ${(wp.blockedBy ?? []).join(', ') || 'a dependency'}`;
  return wp.error ?? 'failed';
}

function filesNote(wp: PackageProgress): string | undefined {
  const files = wp.filesTotal ? `${wp.filesCompleted}/${wp.filesTotal} files` : undefined;
  return [files, wp.note].filter(isDefined).join(', ') || undefined;
}

/** The highest priority among today's packages, and which they are. */
function focusOf(today: PackageProgress[]): string {
  const best = [...today].sort((a, b) =>
    a.priority.localeCompare(b.priority),
  )[0] as PackageProgress;
  const same = today.filter((wp) => wp.priority === best.priority).map((wp) => wp.id);
  return `${best.priority}: ${same.join(', ')}`;
}

function sumPoints(packages: readonly PackageProgress[]): number {
  return packages.reduce((sum, wp) => sum + (wp.points ?? 0), 0);
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
