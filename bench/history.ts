import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface RunHistory {
  runId: string;
  /** Events in the run's history. */
  events: number;
  /** Bytes of the serialized history, as the server stores and sends it. */
  bytes: number;
  /** Bytes of the run's input: for a continued run, the progress it carries over. */
  inputBytes: number;
  /** How many activities of each type the run scheduled. */
  activities: Record<string, number>;
  /** Milliseconds from scheduling to completion, summed over the activities of each type. */
  activityMs: Record<string, number>;
}

function eventMs(event: temporal.api.history.v1.IHistoryEvent): number {
  const time = event.eventTime;
  return Number(time?.seconds ?? 0) * 1000 + Math.round((time?.nanos ?? 0) / 1e6);
}

/** Every run of a workflow, from its first and following each continue-as-new, with its history's size. */
export async function runHistories(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const inputBytes = input.reduce((sum, payload) => sum + (payload.data?.length ?? 0), 0);
    const activities: Record<string, number> = {};
    const activityMs: Record<string, number> = {};
    const scheduled = new Map<string, { type: string; at: number }>();
    for (const event of events) {
      const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
      if (type) {
        activities[type] = (activities[type] ?? 0) + 1;
        scheduled.set(String(event.eventId), { type, at: eventMs(event) });
      }
      const done = event.activityTaskCompletedEventAttributes?.scheduledEventId;
      const start = done === undefined || done === null ? undefined : scheduled.get(String(done));
      if (start) activityMs[start.type] = (activityMs[start.type] ?? 0) + eventMs(event) - start.at;
    }
    runs.push({ runId, events: events.length, bytes, inputBytes, activities, activityMs });
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}
