import type { Client, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { packageWorkflowId } from '../src/domain/ids';
import { median } from './support';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

/**
 * Where a package's time goes, from the histories of the sprint and its child (ms). The worktree
 * and the commit are local activities: they run inside the child's workflow tasks, so each is
 * measured together with its task.
 */
const STAGES = [
  'child start (parent → child started)',
  'first workflow task with prepareWorktree (→ runPackage scheduled)',
  'runPackage queue',
  'runPackage run',
  'workflow task with commitWork (→ child completed)',
  'parent sees completion',
  'package total (parent start → parent sees done)',
] as const;
export type Stage = (typeof STAGES)[number];

export interface LatencyReport {
  /** Median and 90th percentile per stage, over all packages. */
  stages: { stage: Stage; medianMs: number; p90Ms: number }[];
  /** Between the last completion of a wave seen by the parent and the first start of the next. */
  waveSwitchMs: number[];
  integration: { queueMs: number; runMs: number };
  /** Workflow started → first child started; integration done → workflow completed. */
  sprintStartMs: number;
  sprintEndMs: number;
  /** Activity attempts beyond the first, over the sprint and its children. */
  retries: number;
}

const at = (event: HistoryEvent | undefined): number => tsToMs(event?.eventTime);

function retriesIn(events: HistoryEvent[]): number {
  return events.reduce(
    (sum, e) => sum + Math.max(0, (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1),
    0,
  );
}

function activities(
  events: HistoryEvent[],
): Map<string, { scheduled: number; started: number; closed: number }> {
  const byScheduled = new Map<
    number,
    { name: string; scheduled: number; started: number; closed: number }
  >();
  for (const event of events) {
    const id = Number(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled)
      byScheduled.set(id, {
        name: scheduled.activityType?.name ?? '?',
        scheduled: at(event),
        started: NaN,
        closed: NaN,
      });
    const started = event.activityTaskStartedEventAttributes;
    const entry = started && byScheduled.get(Number(started.scheduledEventId));
    if (entry) entry.started = at(event);
    const done =
      event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes;
    const closed = done && byScheduled.get(Number(done.scheduledEventId));
    if (closed) closed.closed = at(event);
  }
  // The last attempt of each activity type counts (the bench's activities do not retry).
  return new Map([...byScheduled.values()].map((entry) => [entry.name, entry]));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Reads the finished sprint's history and every child's, and splits the time into stages. */
export async function analyseSprint(
  client: Client,
  sprintId: string,
  waves: string[][],
): Promise<LatencyReport> {
  const parent = (await client.workflow.getHandle(sprintId).fetchHistory()).events ?? [];
  const initiated = new Map<string, number>();
  const seenDone = new Map<string, number>();
  for (const event of parent) {
    const start = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (start?.workflowId) initiated.set(start.workflowId, at(event));
    const done =
      event.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId;
    if (done) seenDone.set(done, at(event));
  }
  const samples = new Map<Stage, number[]>(STAGES.map((stage) => [stage, []]));
  const add = (stage: Stage, ms: number): void => {
    if (Number.isFinite(ms)) samples.get(stage)?.push(ms);
  };
  let firstChildStart = Infinity;
  let retries = retriesIn(parent);
  for (const wpId of waves.flat()) {
    const id = packageWorkflowId(sprintId, wpId);
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const started = at(events.find((e) => e.workflowExecutionStartedEventAttributes));
    const completed = at(events.find((e) => e.workflowExecutionCompletedEventAttributes));
    const acts = activities(events);
    retries += retriesIn(events);
    const runPackage = acts.get('runPackage');
    const begin = initiated.get(id) ?? NaN;
    firstChildStart = Math.min(firstChildStart, started);
    add('child start (parent → child started)', started - begin);
    add(
      'first workflow task with prepareWorktree (→ runPackage scheduled)',
      (runPackage?.scheduled ?? NaN) - started,
    );
    add('runPackage queue', (runPackage?.started ?? NaN) - (runPackage?.scheduled ?? NaN));
    add('runPackage run', (runPackage?.closed ?? NaN) - (runPackage?.started ?? NaN));
    add(
      'workflow task with commitWork (→ child completed)',
      completed - (runPackage?.closed ?? NaN),
    );
    add('parent sees completion', (seenDone.get(id) ?? NaN) - completed);
    add('package total (parent start → parent sees done)', (seenDone.get(id) ?? NaN) - begin);
  }
  const waveSwitchMs: number[] = [];
  for (let k = 1; k < waves.length; k++) {
    const lastDone = Math.max(
      ...(waves[k - 1] ?? []).map((wp) => seenDone.get(packageWorkflowId(sprintId, wp)) ?? NaN),
    );
    const nextStart = Math.min(
      ...(waves[k] ?? []).map((wp) => initiated.get(packageWorkflowId(sprintId, wp)) ?? NaN),
    );
    waveSwitchMs.push(nextStart - lastDone);
  }
  const merge = activities(parent).get('mergeIntoIntegration');
  const sprintStarted = at(parent.find((e) => e.workflowExecutionStartedEventAttributes));
  const sprintDone = at(parent.find((e) => e.workflowExecutionCompletedEventAttributes));
  return {
    stages: STAGES.map((stage) => {
      const values = samples.get(stage) ?? [];
      return { stage, medianMs: median(values), p90Ms: percentile(values, 0.9) };
    }),
    waveSwitchMs,
    integration: {
      queueMs: (merge?.started ?? NaN) - (merge?.scheduled ?? NaN),
      runMs: (merge?.closed ?? NaN) - (merge?.started ?? NaN),
    },
    sprintStartMs: firstChildStart - sprintStarted,
    sprintEndMs: sprintDone - (merge?.closed ?? NaN),
    retries,
  };
}

export function printLatency(report: LatencyReport): void {
  const width = Math.max(...report.stages.map((s) => s.stage.length));
  console.log(`  ${'stage'.padEnd(width)}  median     p90`);
  for (const { stage, medianMs, p90Ms } of report.stages) {
    console.log(`  ${stage.padEnd(width)}  ${ms(medianMs).padStart(6)}  ${ms(p90Ms).padStart(6)}`);
  }
  console.log(
    `  wave switches (last done → next start): ${report.waveSwitchMs.map(ms).join(', ')}`,
  );
  console.log(
    `  integration merge: queue ${ms(report.integration.queueMs)}, run ${ms(report.integration.runMs)}; ` +
      `sprint start → first child ${ms(report.sprintStartMs)}; merge done → sprint done ${ms(report.sprintEndMs)}`,
  );
  console.log(`  activity retries: ${report.retries}`);
}

const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)}ms` : '—');
