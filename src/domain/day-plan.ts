import { parseDuration } from './duration';
import { naturalCompare } from './natural-order';
import type { DaysSpec, Priority } from './spec';

export interface DayPlanPackage {
  id: string;
  dependsOn: readonly string[];
  priority: Priority;
  points?: number;
}

export interface PlannedDay {
  /** 1-based. */
  day: number;
  /** `YYYY-MM-DD`, when the days have a start date. */
  date?: string;
  packages: string[];
  points: number;
  /** A single package larger than the capacity was given a day of its own. */
  overCapacity: boolean;
}

export interface UnplacedPackage {
  id: string;
  reason: string;
}

export interface DayPlan {
  capacity: number;
  days: PlannedDay[];
  /** Day number of each placed package. */
  dayOf: Record<string, number>;
  /** Packages that fit on no day of the sprint, with why. */
  unplaced: UnplacedPackage[];
}

const DAY_MS = 86_400_000;
const PRIORITY_RANK: Record<Priority, number> = { P0: 0, P1: 1, P2: 2 };

/**
 * Assigns packages to days: each on the first day, not before its dependencies' days, with
 * room left for its points (packages without points take none). Ready packages are placed by
 * priority, then id, so the plan is the same for the same input. A package larger than the
 * capacity gets an empty day to itself, reported as over capacity. Without a capacity the
 * points are spread evenly over the days.
 */
export function planDays(
  packages: readonly DayPlanPackage[],
  days: DaysSpec,
  capacity?: number,
): DayPlan {
  const total = packages.reduce((sum, wp) => sum + (wp.points ?? 0), 0);
  const perDay = capacity ?? Math.max(1, Math.ceil(total / days.count));
  const planned: PlannedDay[] = Array.from({ length: days.count }, (_, index) => ({
    day: index + 1,
    date: days.start ? workingDate(days.start, index) : undefined,
    packages: [],
    points: 0,
    overCapacity: false,
  }));
  const dayOf: Record<string, number> = {};
  const unplaced: UnplacedPackage[] = [];
  const unplacedIds = new Set<string>();

  for (const wp of placementOrder(packages)) {
    const missing = wp.dependsOn.filter((dep) => unplacedIds.has(dep));
    if (missing.length) {
      unplaced.push({ id: wp.id, reason: `depends on ${missing.join(', ')}, which did not fit` });
      unplacedIds.add(wp.id);
      continue;
    }
    const earliest = Math.max(1, ...wp.dependsOn.map((dep) => dayOf[dep] ?? 1));
    const points = wp.points ?? 0;
    const day = planned
      .slice(earliest - 1)
      .find((candidate) => candidate.points + points <= perDay || candidate.points === 0);
    if (!day) {
      unplaced.push({
        id: wp.id,
        reason: `no day from day ${earliest} to day ${days.count} has room for ${points} points`,
      });
      unplacedIds.add(wp.id);
      continue;
    }
    day.packages.push(wp.id);
    day.points += points;
    day.overCapacity = day.points > perDay;
    dayOf[wp.id] = day.day;
  }
  return { capacity: perDay, days: planned, dayOf, unplaced };
}

/** Ready packages first by priority, then by id; a package is ready once its dependencies are placed. */
function placementOrder(packages: readonly DayPlanPackage[]): DayPlanPackage[] {
  const byId = new Map(packages.map((wp) => [wp.id, wp]));
  const waiting = new Map<string, number>();
  const dependents = new Map<string, DayPlanPackage[]>();
  for (const wp of packages) {
    const deps = new Set(wp.dependsOn.filter((dep) => byId.has(dep)));
    waiting.set(wp.id, deps.size);
    for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), wp]);
  }
  const before = (a: DayPlanPackage, b: DayPlanPackage): number =>
    PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || naturalCompare(a.id, b.id);
  const ready = packages.filter((wp) => waiting.get(wp.id) === 0).sort(before);
  const order: DayPlanPackage[] = [];
  while (ready.length) {
    const next = ready.shift() as DayPlanPackage;
    order.push(next);
    for (const dependent of dependents.get(next.id) ?? []) {
      const left = (waiting.get(dependent.id) ?? 1) - 1;
      waiting.set(dependent.id, left);
      if (left === 0) ready.splice(insertionIndex(ready, dependent, before), 0, dependent);
    }
  }
  // A cycle cannot reach here (the spec is validated first); place the rest as they are.
  const placed = new Set(order.map((wp) => wp.id));
  return [...order, ...packages.filter((wp) => !placed.has(wp.id))];
}

function insertionIndex<T>(sorted: readonly T[], item: T, compare: (a: T, b: T) => number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compare(sorted[middle] as T, item) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The `index`-th working day (Monday to Friday) from `start`, as `YYYY-MM-DD`. */
export function workingDate(start: string, index: number): string {
  return new Date(workingDayAt(start, index)).toISOString().slice(0, 10);
}

/**
 * When the `index`-th working day from `start` begins, in epoch ms. Past 9999-12-31 a date no
 * longer has four digits of year, so validation keeps a sprint's last day before then.
 */
export function workingDayAt(start: string, index: number): number {
  let time = Date.parse(`${start}T00:00:00Z`);
  let remaining = index;
  while (isWeekend(time)) time += DAY_MS;
  while (remaining > 0) {
    time += DAY_MS;
    if (!isWeekend(time)) remaining--;
  }
  return time;
}

/** The last day a `YYYY-MM-DD` date can name. */
export const LAST_WRITABLE_DAY = Date.UTC(9999, 11, 31);

function isWeekend(time: number): boolean {
  const weekday = new Date(time).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/** When day `day` (1-based) begins, in epoch ms, for a sprint that started at `sprintStart`. */
export function dayStartsAt(days: DaysSpec, day: number, sprintStart: number): number {
  if (days.start) return Date.parse(`${workingDate(days.start, day - 1)}T00:00:00Z`);
  const length = (days.length && parseDuration(days.length)) || DAY_MS;
  return sprintStart + (day - 1) * length;
}

/** Whether `text` is a real calendar date written `YYYY-MM-DD`. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(text);
}
