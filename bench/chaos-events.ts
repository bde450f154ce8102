import type { EventEnvelope } from '../src/domain/events';
import type { EventReceiver } from '../test/support/event-receiver';
import { sleep } from './chaos-lab';

/**
 * A sprint's events as a sync backend that honours Idempotency-Key takes them in: a request
 * under a key it accepted before is a repeat (a sender lost before the answer sends the batch
 * again), not new events. An event that comes under two keys is taken twice: a duplicate.
 */
export interface EventDelivery {
  delivered: EventEnvelope[];
  /** Events of requests that repeated an earlier request's key. */
  repeats: number;
}

export function sprintDelivery(receiver: EventReceiver, sprintId: string): EventDelivery {
  const seenKeys = new Set<string>();
  const delivered: EventEnvelope[] = [];
  let repeats = 0;
  let at = 0;
  // `received` holds every request's events, request after request.
  for (const { key, eventIds } of receiver.requests) {
    const events = receiver.received
      .slice(at, (at += eventIds.length))
      .filter((event) => event.sprint_id === sprintId);
    if (seenKeys.has(key)) repeats += events.length;
    else delivered.push(...events);
    seenKeys.add(key);
  }
  return { delivered, repeats };
}

/** Waits until the sprint's events are complete (or the deadline), then a moment for late repeats. */
export async function settledDelivery(
  receiver: EventReceiver,
  sprintId: string,
  deadline: number,
): Promise<EventDelivery> {
  while (!isComplete(sprintDelivery(receiver, sprintId).delivered) && Date.now() < deadline) {
    await sleep(200);
  }
  await sleep(500);
  return sprintDelivery(receiver, sprintId);
}

/** Sequences 1..n all there, and the last one is SprintCompleted. */
export function isComplete(events: readonly EventEnvelope[]): boolean {
  const sequences = new Set(events.map((e) => e.sequence));
  const last = events.reduce<EventEnvelope | undefined>(
    (top, e) => (top === undefined || e.sequence > top.sequence ? e : top),
    undefined,
  );
  return last?.event_type === 'SprintCompleted' && sequences.size === last.sequence;
}
