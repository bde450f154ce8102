const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DAY_MS = UNIT_MS.d as number;

/** The longest a duration of a sprint file may be, and what to say when it is longer. */
export interface DurationBound {
  maxMs: number;
  tooLong: string;
}

/** A command's timeout is a Node timer on the worker, and Node's timers stop at 2^31 - 1 ms. */
export const NODE_TIMER_BOUND: DurationBound = {
  maxMs: 24 * DAY_MS,
  tooLong:
    "must be at most 24d: the worker times it with Node's setTimeout, which stops at 24.8 days",
};

/** Temporal's timers, timeouts and intervals are protobuf Durations: 10,000 years at most. */
export const TEMPORAL_TIMER_BOUND: DurationBound = {
  maxMs: 3_652_500 * DAY_MS,
  tooLong: 'must be at most 3652500d (10,000 years), the longest duration Temporal accepts',
};

/** Projected finishes are dates: kept within the span of a timer, they stay far from Date's end. */
export const PROJECTION_BOUND: DurationBound = {
  maxMs: TEMPORAL_TIMER_BOUND.maxMs,
  tooLong: 'must be at most 3652500d (10,000 years), the furthest a sprint projects its finish',
};

const DURATION = /^(?:(\d+)(ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Parses durations like `30m`, `2h`, `1h30m`, `500ms`; undefined when malformed or zero. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!wellFormed(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  }
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}

export const NOT_A_DURATION =
  'is not a duration: use a number and a unit, like 90s, 30m, 2h or 1h30m';

/** Why `text` will not do as a duration within `bound`; undefined when it will. */
export function durationProblem(text: string, bound: DurationBound): string | undefined {
  const ms = parseDuration(text);
  if (ms !== undefined) return ms > bound.maxMs ? bound.tooLong : undefined;
  // Well written but past Number.MAX_SAFE_INTEGER ms is too long, not malformed.
  const trimmed = text.trim();
  return wellFormed(trimmed) && /[1-9]/.test(trimmed) ? bound.tooLong : NOT_A_DURATION;
}

/** Numbers with units, each unit once: `1h30m`, not `1d1d`. */
function wellFormed(trimmed: string): boolean {
  if (!DURATION.test(trimmed)) return false;
  const units = [...trimmed.matchAll(PART)].map((part) => part[2]);
  return new Set(units).size === units.length;
}

/** Renders milliseconds compactly for people: `1h 5m`, `42s`, `350ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1_000);
  const h = Math.floor(seconds / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}
