import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  isCancellation,
  log,
  proxyActivities,
  startChild,
} from '@temporalio/workflow';
import type { EventEnvelope } from '../domain/events';
import { eventsOutboxWorkflowId } from '../domain/ids';
import { failureMessage } from './failures';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

/** Retries forever with capped backoff: a sync backend may be down for a long time. */
const { recordEvents } = proxyActivities<Activities>(OPTIONS.recordEvents);

const BATCH = 100;
/** How long the end of a sprint waits for its last events before handing them to the outbox. */
const DRAIN_WAIT = '3 seconds';
/** How long a hand-over to the sprint's next run waits for the batch in flight to land. */
const PAUSE_WAIT = '10 seconds';

export interface EventsOutboxInput {
  events: EventEnvelope[];
  send: boolean;
}

/** Delivers the events a finished sprint could not, once the sync backend answers again. */
export async function eventsOutboxWorkflow(input: EventsOutboxInput): Promise<void> {
  for (let i = 0; i < input.events.length; i += BATCH) {
    await recordEvents({ events: input.events.slice(i, i + BATCH), send: input.send });
  }
}

export interface EventShipper {
  push(events: EventEnvelope[]): void;
  /** Drains for a moment, then stops; what is left goes to a detached outbox, so the sprint ends on time. */
  finish(sprintId: string, runId: string): Promise<void>;
  /** Stops sending for a hand-over to the next run: lets the batch in flight land, keeps the rest. */
  pause(): Promise<void>;
  /** Events not known to be delivered, in order: for the next run to send. */
  unsent(): EventEnvelope[];
}

/** Ships events in order, in batches, beside the sprint: never more than one call in flight. */
export function startEventShipper(send: boolean, carried: EventEnvelope[] = []): EventShipper {
  const pending: EventEnvelope[] = [...carried];
  let inFlight: EventEnvelope[] = [];
  let stopped = false;
  let paused = false;
  const scope = new CancellationScope();
  const loop = scope
    .run(async () => {
      for (;;) {
        await condition(() => pending.length > 0 && !paused);
        inFlight = pending.splice(0, BATCH);
        await recordEvents({ events: inFlight, send });
        inFlight = [];
      }
    })
    .catch((error: unknown) => {
      if (!isCancellation(error)) log.warn('Events not recorded', { error: failureMessage(error) });
    });

  return {
    push(events) {
      if (!stopped) pending.push(...events);
    },
    async finish(sprintId, runId) {
      stopped = true;
      await condition(() => pending.length === 0 && inFlight.length === 0, DRAIN_WAIT);
      scope.cancel();
      await loop;
      const left = [...inFlight, ...pending];
      if (left.length === 0) return;
      await startChild(eventsOutboxWorkflow, {
        workflowId: eventsOutboxWorkflowId(sprintId, runId),
        args: [{ events: left, send }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    },
    async pause() {
      paused = true;
      if (inFlight.length) await condition(() => inFlight.length === 0, PAUSE_WAIT);
      scope.cancel();
      await loop;
    },
    unsent: () => [...inFlight, ...pending],
  };
}
