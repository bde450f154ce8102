import { dayStartsAt } from './day-plan';
import { deadlineAt, packagesToDefer, projectFinish } from './deadline';
import { parseDuration } from './duration';
import type { SprintPlan } from './plan';
import type { SprintProgress } from './progress';
import { formatTime } from './render-progress';
import type { SprintSpec } from './spec';

/**
 * The sprint's time rules, fixed at its start: when each package's day begins (a multi-day
 * sprint), the deadline, and the packages' estimates. Pure, so the workflow decides the same
 * way on replay.
 */
export interface Timeline {
  /** Epoch ms at which each package's day begins; absent for a sprint without days. */
  dayStarts: Record<string, number>;
  /** Packages the day plan could not fit, with why: deferred at the start. */
  unplaced: Array<{ id: string; reason: string }>;
  deadlineAt?: number;
  estimates: Record<string, number | undefined>;
}

export interface Deferral {
  id: string;
  reason: string;
}

export function sprintTimeline(spec: SprintSpec, plan: SprintPlan, startedAt: number): Timeline {
  const dayStarts: Record<string, number> = {};
  const days = spec.days;
  if (days && plan.dayPlan) {
    for (const [id, day] of Object.entries(plan.dayPlan.dayOf)) {
      dayStarts[id] = dayStartsAt(days, day, startedAt);
    }
  }
  return {
    dayStarts,
    unplaced: (plan.dayPlan?.unplaced ?? []).map(({ id, reason }) => ({
      id,
      reason: `does not fit in the sprint's days: ${reason}`,
    })),
    deadlineAt: spec.deadline === undefined ? undefined : deadlineAt(spec.deadline, startedAt),
    estimates: Object.fromEntries(
      spec.packages.map((wp) => [wp.id, wp.estimate ? parseDuration(wp.estimate) : undefined]),
    ),
  };
}

/** Whether the package's day has begun (always, for a sprint without days). */
export function dayHasBegun(timeline: Timeline, id: string, at: number): boolean {
  const starts = timeline.dayStarts[id];
  return starts === undefined || starts <= at;
}

/**
 * What to take out of scope now: packages the day plan could not fit, and — when the projected
 * finish passes the deadline — pending packages below the highest priority still open.
 */
export function deferralsAt(timeline: Timeline, state: SprintProgress, at: number): Deferral[] {
  if (!timeline.unplaced.length && timeline.deadlineAt === undefined) return [];
  const pending = new Set(
    state.packages.filter((wp) => wp.status === 'pending').map((wp) => wp.id),
  );
  const deferrals = timeline.unplaced.filter((wp) => pending.has(wp.id));
  if (timeline.deadlineAt === undefined) return deferrals;
  const { finishAt } = projectFinish(state, timeline.estimates, at);
  const late =
    at > timeline.deadlineAt || (finishAt !== undefined && finishAt > timeline.deadlineAt);
  if (!late) return deferrals;
  const reason =
    at > timeline.deadlineAt
      ? `the deadline (${formatTime(timeline.deadlineAt)}) has passed`
      : `the projected finish (${formatTime(finishAt as number)}) passes the deadline (${formatTime(timeline.deadlineAt)})`;
  const taken = new Set(deferrals.map((wp) => wp.id));
  for (const id of packagesToDefer(state)) {
    if (!taken.has(id)) deferrals.push({ id, reason });
  }
  return deferrals;
}

/** The next moment the schedule may change with no event: a day begins, or the deadline. */
export function nextWakeAt(
  timeline: Timeline,
  state: SprintProgress,
  at: number,
): number | undefined {
  if (timeline.deadlineAt === undefined && !hasDays(timeline)) return undefined;
  const pending = state.packages.filter((wp) => wp.status === 'pending');
  const times = pending
    .map((wp) => timeline.dayStarts[wp.id])
    .filter((time): time is number => time !== undefined && time > at);
  if (timeline.deadlineAt !== undefined && timeline.deadlineAt > at && pending.length) {
    times.push(timeline.deadlineAt);
  }
  return times.length ? Math.min(...times) : undefined;
}

function hasDays(timeline: Timeline): boolean {
  for (const _id in timeline.dayStarts) return true;
  return false;
}
