import type { Client } from '@temporalio/client';
import type { SprintProgress } from '../domain/progress';
import { readSprint } from '../service/sprints';
import { readCache } from './read-cache';
import type { ReadCache } from './read-cache';

/** Under load, each GET would otherwise cost two describes and a query answered by a worker. */
const SPRINT_STATE_TTL_MS = 250;
const sprintStates = new WeakMap<Client, ReadCache<SprintProgress>>();

/**
 * The live state of a running sprint, or the final state of one that ended. Concurrent calls
 * for a sprint share one read, and its answer serves for up to 250 ms.
 */
export async function sprintState(client: Client, id: string): Promise<SprintProgress> {
  let cache = sprintStates.get(client);
  if (!cache) {
    cache = readCache(SPRINT_STATE_TTL_MS);
    sprintStates.set(client, cache);
  }
  return cache.read(id, () => readSprint(client, id));
}
