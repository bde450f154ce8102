import { isTerminal, packageOf } from './progress';
import type { PackageProgress, SprintProgress } from './progress';

export interface DispatchStep {
  /** Packages to start now, in a stable order (wave, then plan order). */
  start: string[];
  /** Packages that can never start because a dependency failed, was blocked or cancelled. */
  block: { id: string; by: string[] }[];
}

const DEAD_ENDS = new Set(['failed', 'blocked', 'cancelled', 'deferred']);

/**
 * Which packages start next. `waves`: a wave starts when every package of the waves before
 * it is finished. `eager`: a package starts as soon as its own dependencies are completed.
 * Never more than `concurrency` in progress; `canStart` holds back packages whose day has not
 * begun.
 */
export function nextStep(
  state: SprintProgress,
  canStart: (id: string) => boolean = () => true,
): DispatchStep {
  const places = placesOf(state);
  const byId = (id: string): PackageProgress | undefined => packageOf(state, id);
  let inProgress = 0;
  // Without a dead end anywhere nothing can be blocked: only what may start needs a look.
  let anyDead = false;
  for (const wp of state.packages) {
    if (wp.status === 'in_progress') inProgress++;
    else if (DEAD_ENDS.has(wp.status)) anyDead = true;
  }
  const room = Math.max(0, state.concurrency - inProgress);
  if (room === 0 && !anyDead) return { start: [], block: [] };
  const current = state.strategy === 'waves' ? currentWave(state) : Infinity;
  const block: DispatchStep['block'] = [];
  const eligible: PackageProgress[] = [];
  for (const wp of state.packages) {
    if (wp.status !== 'pending') continue;
    if (!anyDead && wp.wave > current) continue;
    const deps = wp.dependsOn.map(byId);
    const dead = deps.filter((dep): dep is PackageProgress => !!dep && DEAD_ENDS.has(dep.status));
    if (dead.length) {
      block.push({ id: wp.id, by: dead.map((dep) => dep.id) });
      continue;
    }
    if (room === 0 || wp.wave > current) continue;
    if (deps.every((dep) => dep?.status === 'completed') && canStart(wp.id)) eligible.push(wp);
  }
  const before = (a: PackageProgress, b: PackageProgress): number =>
    a.wave - b.wave || (places.get(a.id) ?? places.size) - (places.get(b.id) ?? places.size);
  return { start: firstOf(eligible, room, before).map((wp) => wp.id), block };
}

/** The `count` first items in `order`, in that order, without sorting them all. */
function firstOf<T>(items: T[], count: number, order: (a: T, b: T) => number): T[] {
  if (items.length <= count || count > 8) return items.sort(order).slice(0, count);
  const rest = [...items];
  const first: T[] = [];
  while (first.length < count) {
    let best = 0;
    for (let index = 1; index < rest.length; index++) {
      if (order(rest[index] as T, rest[best] as T) < 0) best = index;
    }
    first.push(...rest.splice(best, 1));
  }
  return first;
}

/** Each package's place in the plan's order, per waves array (the reducer keeps the same one). */
const placesByWaves = new WeakMap<readonly string[][], Map<string, number>>();

function placesOf(state: SprintProgress): Map<string, number> {
  let places = placesByWaves.get(state.waves);
  if (!places) {
    places = new Map(state.waves.flat().map((member, index) => [member, index]));
    placesByWaves.set(state.waves, places);
  }
  return places;
}

/** The lowest wave that still has unfinished packages; 0 when all are finished. */
export function currentWave(state: SprintProgress): number {
  let lowest = Infinity;
  for (const wp of state.packages) {
    if (!isTerminal(wp.status) && wp.wave < lowest) lowest = wp.wave;
  }
  return lowest === Infinity ? 0 : lowest;
}

/** True when no package will start or finish any more. */
export function allSettled(state: SprintProgress): boolean {
  return state.packages.every((wp) => isTerminal(wp.status));
}
