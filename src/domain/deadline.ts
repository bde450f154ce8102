import { parseDuration } from './duration';
import type { PackageProgress, SprintProgress } from './progress';
import type { Priority } from './spec';

const PRIORITY_RANK: Record<Priority, number> = { P0: 0, P1: 1, P2: 2 };
const UNFINISHED = new Set(['pending', 'in_progress']);

export interface Projection {
  /** Epoch ms when the remaining work is expected to end; undefined when nothing tells how long a package takes. */
  finishAt?: number;
  /** The longest chain of remaining work, in ms. */
  criticalPathMs: number;
  /** Remaining work spread over the sprint's concurrency, in ms. */
  workloadMs: number;
}

/**
 * Projects when the sprint ends: now plus the longer of the remaining critical path and the
 * remaining work divided by the concurrency. A package's duration is its `estimate`, else the
 * mean time of the packages completed so far; a running package counts only what is left.
 */
export function projectFinish(
  state: SprintProgress,
  estimates: Readonly<Record<string, number | undefined>>,
  now: number,
): Projection {
  const mean = meanDuration(state.packages);
  const remaining = new Map<string, number>();
  let unknown = false;
  for (const wp of state.packages) {
    if (!UNFINISHED.has(wp.status)) continue;
    const full = estimates[wp.id] ?? mean;
    if (full === undefined) {
      unknown = true;
      continue;
    }
    const spent =
      wp.status === 'in_progress' && wp.startedAt !== undefined ? now - wp.startedAt : 0;
    remaining.set(wp.id, Math.max(0, full - spent));
  }
  const byId = new Map(state.packages.map((wp) => [wp.id, wp]));
  const longest = new Map<string, number>();
  const pathTo = (id: string): number => {
    const known = longest.get(id);
    if (known !== undefined) return known;
    const own = remaining.get(id) ?? 0;
    const deps = byId.get(id)?.dependsOn.filter((dep) => remaining.has(dep)) ?? [];
    const value = own + Math.max(0, ...deps.map(pathTo));
    longest.set(id, value);
    return value;
  };
  const criticalPathMs = Math.max(0, ...[...remaining.keys()].map(pathTo));
  let total = 0;
  for (const ms of remaining.values()) total += ms;
  const workloadMs = total / Math.max(1, state.concurrency);
  const finishAt = unknown ? undefined : now + Math.max(criticalPathMs, workloadMs);
  return { finishAt, criticalPathMs, workloadMs };
}

function meanDuration(packages: readonly PackageProgress[]): number | undefined {
  const times = packages
    .filter(
      (wp) =>
        wp.status === 'completed' && wp.startedAt !== undefined && wp.finishedAt !== undefined,
    )
    .map((wp) => (wp.finishedAt as number) - (wp.startedAt as number));
  if (!times.length) return undefined;
  return times.reduce((sum, ms) => sum + ms, 0) / times.length;
}

/**
 * The packages to defer when the projection passes the deadline: those not started yet whose
 * priority is below the highest priority among the unfinished packages — never a P0, and never
 * one that a package staying in scope still needs.
 */
export function packagesToDefer(state: SprintProgress): string[] {
  const unfinished = state.packages.filter((wp) => UNFINISHED.has(wp.status));
  if (!unfinished.length) return [];
  const highest = Math.min(...unfinished.map((wp) => PRIORITY_RANK[wp.priority]));
  const candidates = new Set(
    unfinished
      .filter(
        (wp) =>
          wp.status === 'pending' && wp.priority !== 'P0' && PRIORITY_RANK[wp.priority] > highest,
      )
      .map((wp) => wp.id),
  );
  const byId = new Map(state.packages.map((wp) => [wp.id, wp]));
  const keep = (id: string): void => {
    for (const dep of byId.get(id)?.dependsOn ?? []) {
      if (candidates.delete(dep)) keep(dep);
    }
  };
  for (const wp of unfinished) if (!candidates.has(wp.id)) keep(wp.id);
  return state.packages.filter((wp) => candidates.has(wp.id)).map((wp) => wp.id);
}

/** The deadline as epoch ms: a duration from the sprint's start (`8h`) or an ISO time. */
export function deadlineAt(deadline: string, startedAt: number): number | undefined {
  const duration = parseDuration(deadline);
  if (duration !== undefined) return startedAt + duration;
  const time = Date.parse(deadline);
  return Number.isNaN(time) ? undefined : time;
}
