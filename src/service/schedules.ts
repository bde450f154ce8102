import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import type {
  Client,
  ScheduleDescription,
  ScheduleHandle,
  ScheduleOptions,
} from '@temporalio/client';
import { parseDuration } from '../domain/duration';
import { scheduledSprintId, scheduledTimeOf } from '../domain/ids';
import type { Config } from '../runtime/config';
import type { OverlapPolicy, ScheduleAction, ScheduleRequest } from '../schemas/schedule';
import type { ScheduledSprintInput, StandupInput } from '../workflows';
import { searchAttributesReady } from '../runtime/temporal';
import { SPRINT_ID } from '../workflows/search-attributes';
import { BadInput, ServiceError } from './errors';
import { runnableProblems } from './runnable';
import { findSprint, withRouting } from './sprints';

export class ScheduleNotFound extends ServiceError {
  override name = 'ScheduleNotFound';
  constructor(id: string) {
    super(`No schedule with id ${id}.`, 'not-found');
  }
}

export class ScheduleExists extends ServiceError {
  override name = 'ScheduleExists';
  constructor(id: string) {
    super(`A schedule with id ${id} exists already.`, 'conflict');
  }
}

/** A schedule as the CLI and the API show it. */
export interface ScheduleView {
  id: string;
  kind: ScheduleAction['kind'];
  /** The sprint file's id, or the sprint a stand-up reports on. */
  sprint: string;
  cron: string[];
  every?: string;
  timeZone: string;
  overlap: OverlapPolicy;
  paused: boolean;
  note?: string;
  nextRuns: string[];
  recentRuns: Array<{ scheduledAt: string; workflowId: string; sprintId?: string }>;
  runsTaken: number;
  running: string[];
}

const OVERLAP: Record<
  OverlapPolicy,
  NonNullable<NonNullable<ScheduleOptions['policies']>['overlap']>
> = {
  skip: 'SKIP',
  buffer_one: 'BUFFER_ONE',
  buffer_all: 'BUFFER_ALL',
  cancel_other: 'CANCEL_OTHER',
  terminate_other: 'TERMINATE_OTHER',
  allow_all: 'ALLOW_ALL',
};

/** Creates the schedule; a clear error when one with that id exists. */
export async function createSchedule(
  client: Client,
  config: Readonly<Config>,
  request: ScheduleRequest,
): Promise<ScheduleView> {
  if (request.action.kind === 'sprint') {
    const problems = await runnableProblems(request.action.spec, config);
    if (problems.length) {
      throw new BadInput(
        `schedule ${request.id}`,
        problems.map((problem) => ({ ...problem, path: `sprint.${problem.path}` })),
        'schedule',
      );
    }
  }
  if (request.action.kind === 'standup' && !(await findSprint(client, request.action.sprintId))) {
    // A stand-up of a sprint that never ran would fail on every run, unnoticed.
    throw new BadInput(
      `schedule ${request.id}`,
      [{ path: 'standup.sprint', message: `there is no sprint ${request.action.sprintId}` }],
      'schedule',
    );
  }
  const searchable = await searchAttributesReady(client);
  try {
    const handle = await client.schedule.create({
      scheduleId: request.id,
      spec: {
        cronExpressions: request.cron.length ? request.cron : undefined,
        intervals: request.every ? [{ every: parseDuration(request.every) as number }] : undefined,
        timezone: request.timeZone,
      },
      action: scheduleAction(config, request, searchable),
      policies: { overlap: OVERLAP[request.overlap] },
      memo: { cron: request.cron },
      state: { paused: request.paused, note: request.note },
    });
    return describeSchedule(handle);
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) {
      throw new ScheduleExists(request.id);
    }
    throw error;
  }
}

function scheduleAction(config: Readonly<Config>, request: ScheduleRequest, searchable: boolean) {
  const { action } = request;
  // The run's own sprint id is known only when it runs; the launcher passes these on.
  const typedSearchAttributes = searchable ? [{ key: SPRINT_ID, value: request.id }] : undefined;
  if (action.kind === 'standup') {
    const input: StandupInput = { sprintId: action.sprintId };
    return {
      type: 'startWorkflow' as const,
      workflowType: 'standupWorkflow',
      workflowId: request.id,
      taskQueue: config.temporal.taskQueue,
      args: [input],
    };
  }
  const input = withRouting<ScheduledSprintInput>(
    { scheduleId: request.id, spec: action.spec },
    config,
  );
  return {
    type: 'startWorkflow' as const,
    workflowType: 'scheduledSprintWorkflow',
    workflowId: request.id,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    typedSearchAttributes,
  };
}

export async function listSchedules(client: Client): Promise<ScheduleView[]> {
  const views: ScheduleView[] = [];
  for await (const summary of client.schedule.list()) {
    if (!isOurs(summary.action?.workflowType)) continue;
    views.push(await describeSchedule(client.schedule.getHandle(summary.scheduleId)));
  }
  return views.sort((a, b) => a.id.localeCompare(b.id));
}

export async function getSchedule(client: Client, id: string): Promise<ScheduleHandle> {
  const handle = client.schedule.getHandle(id);
  await describeOrThrow(handle);
  return handle;
}

export async function describeSchedule(handle: ScheduleHandle): Promise<ScheduleView> {
  return toView(await describeOrThrow(handle));
}

export async function triggerSchedule(client: Client, id: string): Promise<ScheduleView> {
  const handle = await getSchedule(client, id);
  await spacedTrigger(handle);
  return describeSchedule(handle);
}

/** How long a trigger waits to be taken (or skipped) before the next may go; buffered ones never are. */
const TRIGGER_TAKEN_MS = 5_000;
/** Temporal names a run by the second it starts in and drops a second run in that second. */
const SAME_SECOND_MS = 1_000;
const TRIGGER_POLL_MS = 100;
const triggerGates = new Map<string, Promise<void>>();

/**
 * Triggers the schedule once the trigger before it (from this process) was taken and a second
 * has passed, so that simultaneous triggers each start a run, and each its own sprint.
 */
async function spacedTrigger(handle: ScheduleHandle): Promise<void> {
  const key = handle.scheduleId;
  const previous = triggerGates.get(key) ?? Promise.resolve();
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  triggerGates.set(key, gate);
  await previous;
  try {
    const before = handledRuns(await handle.describe());
    await handle.trigger();
    const deadline = Date.now() + TRIGGER_TAKEN_MS;
    while (Date.now() < deadline && handledRuns(await handle.describe()) === before) {
      await new Promise((resolve) => setTimeout(resolve, TRIGGER_POLL_MS));
    }
  } finally {
    setTimeout(() => {
      if (triggerGates.get(key) === gate) triggerGates.delete(key);
      release();
    }, SAME_SECOND_MS).unref();
  }
}

function handledRuns(description: ScheduleDescription): number {
  return description.info.numActionsTaken + description.info.numActionsSkippedOverlap;
}

export async function pauseSchedule(
  client: Client,
  id: string,
  note?: string,
): Promise<ScheduleView> {
  const handle = await getSchedule(client, id);
  await handle.pause(note ?? 'paused with sprintwave');
  return describeSchedule(handle);
}

export async function unpauseSchedule(
  client: Client,
  id: string,
  note?: string,
): Promise<ScheduleView> {
  const handle = await getSchedule(client, id);
  await handle.unpause(note ?? 'unpaused with sprintwave');
  return describeSchedule(handle);
}

export async function deleteSchedule(client: Client, id: string): Promise<void> {
  const handle = await getSchedule(client, id);
  await handle.delete();
}

async function describeOrThrow(handle: ScheduleHandle): Promise<ScheduleDescription> {
  try {
    const description = await handle.describe();
    if (!isOurs(description.action.workflowType)) throw unknownSchedule(handle.scheduleId);
    return description;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw unknownSchedule(handle.scheduleId);
    throw error;
  }
}

function unknownSchedule(id: string): ScheduleNotFound {
  return new ScheduleNotFound(id);
}

function isOurs(workflowType: string | undefined): boolean {
  return workflowType === 'scheduledSprintWorkflow' || workflowType === 'standupWorkflow';
}

function toView(description: ScheduleDescription): ScheduleView {
  const { action, spec, state, info } = description;
  const input = action.args?.[0] as ScheduledSprintInput | StandupInput | undefined;
  const standup = action.workflowType === 'standupWorkflow';
  const sprint = standup
    ? ((input as StandupInput | undefined)?.sprintId ?? '')
    : ((input as ScheduledSprintInput | undefined)?.spec.id ?? '');
  const every = spec.intervals?.[0]?.every;
  return {
    id: description.scheduleId,
    kind: standup ? 'standup' : 'sprint',
    sprint,
    cron: spec.calendars?.length ? cronOf(description) : [],
    every: every === undefined ? undefined : formatMs(Number(every)),
    timeZone: spec.timezone ?? 'UTC',
    overlap: (description.policies.overlap?.toLowerCase() ?? 'skip') as OverlapPolicy,
    paused: state.paused,
    note: state.note,
    nextRuns: info.nextActionTimes.map((time) => time.toISOString()),
    recentRuns: info.recentActions.map((run) => ({
      scheduledAt: run.scheduledAt.toISOString(),
      workflowId: run.action.workflow.workflowId,
      sprintId: standup
        ? undefined
        : runSprintId(description.scheduleId, run.action.workflow.workflowId),
    })),
    runsTaken: info.numActionsTaken,
    running: info.runningActions.map((run) => run.workflow.workflowId),
  };
}

/** The id of the sprint a run started, as scheduledSprintWorkflow names it; `status` takes it. */
function runSprintId(scheduleId: string, workflowId: string): string | undefined {
  const at = scheduledTimeOf(workflowId, scheduleId);
  return at === undefined ? undefined : scheduledSprintId(scheduleId, at);
}

/** The server keeps cron expressions as calendars; the one given at creation is in the memo. */
function cronOf(description: ScheduleDescription): string[] {
  const memo = description.memo as { cron?: string[] } | undefined;
  return memo?.cron ?? ['(calendar)'];
}

function formatMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
