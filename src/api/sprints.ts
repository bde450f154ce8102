import type { Client } from '@temporalio/client';
import type { SprintProgress } from '../domain/progress';
import { readSprint } from '../service/sprints';
import { readCache } from './read-cache';
import type { ReadCache } from './read-cache';

/** Under load, each GET would otherwise cost a describe per running package and a query. */
const SPRINT_STATE_TTL_MS = 250;
/** How much older an answer may be given while the next read runs beside (steady traffic). */
const SPRINT_STATE_STALE_MS = 1_000;
const sprintStates = new WeakMap<Client, ReadCache<SprintProgress>>();

function cacheOf(client: Client): ReadCache<SprintProgress> {
  let cache = sprintStates.get(client);
  if (!cache) {
    cache = readCache(SPRINT_STATE_TTL_MS, SPRINT_STATE_STALE_MS);
    sprintStates.set(client, cache);
  }
  return cache;
}

/**
 * The live state of a running sprint, or the final state of one that ended. Concurrent calls
 * for a sprint share one read; its answer serves for 250 ms, then for up to a second more while
 * the next read runs, so no request waits for Temporal under steady traffic.
 */
export async function sprintState(client: Client, id: string): Promise<SprintProgress> {
  return cacheOf(client).read(id, () => readSprint(client, id));
}

/** After a change made through the API (a cancel, a retry, a report): the next read is new. */
export function forgetSprintState(client: Client, id: string): void {
  cacheOf(client).forget(id);
}
