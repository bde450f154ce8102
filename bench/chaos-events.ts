import type { EventEnvelope } from '../src/domain/events';
import { sprintDelivery } from '../test/support/event-receiver';
import type { EventDelivery, EventReceiver } from '../test/support/event-receiver';
import { sleep } from './chaos-lab';

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
