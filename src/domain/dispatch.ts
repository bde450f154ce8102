import { isTerminal } from './progress';
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
  const byId = new Map(state.packages.map((wp) => [wp.id, wp]));
  const block: DispatchStep['block'] = [];
  const ready: PackageProgress[] = [];
  for (const wp of state.packages) {
    if (wp.status !== 'pending') continue;
    const deps = wp.dependsOn.map((id) => byId.get(id));
    const dead = deps.filter((dep): dep is PackageProgress => !!dep && DEAD_ENDS.has(dep.status));
    if (dead.length) {
      block.push({ id: wp.id, by: dead.map((dep) => dep.id) });
      continue;
    }
    if (deps.every((dep) => dep?.status === 'completed') && canStart(wp.id)) ready.push(wp);
  }
  const current = currentWave(state);
  const eligible = state.strategy === 'waves' ? ready.filter((wp) => wp.wave <= current) : ready;
  const inProgress = state.packages.filter((wp) => wp.status === 'in_progress').length;
  const room = Math.max(0, state.concurrency - inProgress);
  const start = eligible
    .sort((a, b) => a.wave - b.wave || orderIndex(state, a.id) - orderIndex(state, b.id))
    .slice(0, room)
    .map((wp) => wp.id);
  return { start, block };
}

function orderIndex(state: SprintProgress, id: string): number {
  let index = 0;
  for (const wave of state.waves) {
    for (const member of wave) {
      if (member === id) return index;
      index++;
    }
  }
  return index;
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
