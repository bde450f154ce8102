import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import {
  NOT_A_DURATION,
  TEMPORAL_TIMER_BOUND,
  durationProblem,
  parseDuration,
} from '../domain/duration';
import type { DurationBound } from '../domain/duration';
import { MAX_ID_LENGTH, unsafeIdReason } from '../domain/ids';
import { shown } from '../domain/shown';
import type { SprintSpec, SpecProblem } from '../domain/spec';
import { checkSprintSpec, formatPath } from './sprint-spec';

/** A scheduled sprint's id is the schedule id, a dash and the scheduled time (`20261121T020000Z`). */
export const SCHEDULED_SUFFIX_LENGTH = '-20261121T020000Z'.length;
export const MAX_SCHEDULE_ID_LENGTH = MAX_ID_LENGTH - SCHEDULED_SUFFIX_LENGTH;

export const OVERLAP_POLICIES = [
  'skip',
  'buffer_one',
  'buffer_all',
  'cancel_other',
  'terminate_other',
  'allow_all',
] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** What a schedule runs: a sprint from its sprint file, or the stand-up of a sprint. */
export type ScheduleAction =
  { kind: 'sprint'; spec: SprintSpec } | { kind: 'standup'; sprintId: string };

export interface ScheduleRequest {
  id: string;
  /** Cron expressions (5 fields, or `@daily`-style names). */
  cron: string[];
  /** Or a fixed interval such as `1h`. */
  every?: string;
  timeZone: string;
  overlap: OverlapPolicy;
  paused: boolean;
  note?: string;
  action: ScheduleAction;
}

const scheduleSchema = z.strictObject({
  id: z
    .string()
    .describe("The schedule's id; each run's sprint id is it, a dash and the run's time."),
  cron: z
    .union([z.string(), z.array(z.string()).min(1)])
    .optional()
    .describe('Cron expressions (5 fields, or `@daily`-style names); or `every`.'),
  every: z.string().optional().describe('A fixed interval, like `1h`; or `cron`.'),
  timeZone: z.string().default('UTC').describe('The IANA time zone of the cron expressions.'),
  overlap: z
    .enum(OVERLAP_POLICIES)
    .default('skip')
    .describe('What happens when a run is due while the last one still runs.'),
  paused: z.boolean().default(false),
  note: z.string().max(500).optional(),
  sprint: z
    .unknown()
    .optional()
    .describe('A sprint file, as `POST /sprints` takes it (its id may be left out); or `standup`.'),
  standup: z
    .strictObject({ sprint: z.string() })
    .optional()
    .describe('A stand-up of this sprint instead: posted to its GitHub issue.'),
});

/**
 * `POST /schedules` as the route takes it: the schedule's fields, checked in full (with the
 * sprint file) by `checkSchedule`, so each problem gets its path.
 */
export const scheduleBodySchema = z.looseObject(scheduleSchema.shape);

/** A schedule as the API and the CLI show it. */
export const scheduleViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['sprint', 'standup']),
  sprint: z.string().describe("The sprint file's id, or the sprint a stand-up reports on."),
  cron: z.array(z.string()),
  every: z.string().optional(),
  timeZone: z.string(),
  overlap: z.enum(OVERLAP_POLICIES),
  paused: z.boolean(),
  note: z.string().optional(),
  nextRuns: z.array(z.string()).describe('The next run times, ISO 8601.'),
  recentRuns: z.array(
    z.object({
      scheduledAt: z.string(),
      workflowId: z.string(),
      sprintId: z
        .string()
        .optional()
        .describe(
          'The sprint the run started (`GET /sprints/:id` takes it); absent for stand-ups.',
        ),
    }),
  ),
  runsTaken: z.number().int().min(0),
  running: z.array(z.string()).describe('The workflow ids of the runs still running.'),
});

export type ScheduleCheck =
  { ok: true; request: ScheduleRequest } | { ok: false; problems: SpecProblem[] };

/**
 * Checks a schedule before anything is created: its id, exactly one of `cron` and `every`,
 * each cron expression, the time zone, and the sprint file it runs (checked like any other).
 */
export function checkSchedule(input: unknown): ScheduleCheck {
  const parsed = scheduleSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        message: issue.message,
      })),
    };
  }
  const body = parsed.data;
  const problems: SpecProblem[] = [];
  const idProblem = scheduleIdProblem(body.id);
  if (idProblem) problems.push({ path: 'id', message: idProblem });

  const cron = body.cron === undefined ? [] : [body.cron].flat();
  if (!cron.length && body.every === undefined) {
    problems.push({ path: 'cron', message: 'give a cron expression or an interval (`every`)' });
  }
  if (cron.length && body.every !== undefined) {
    problems.push({ path: 'every', message: 'give either cron or every, not both' });
  }
  const zoneProblem = timeZoneProblem(body.timeZone);
  if (zoneProblem) problems.push({ path: 'timeZone', message: zoneProblem });
  cron.forEach((expression, index) => {
    const problem = cronProblem(expression, zoneProblem ? 'UTC' : body.timeZone);
    if (problem)
      problems.push({
        path: Array.isArray(body.cron) ? `cron[${index}]` : 'cron',
        message: problem,
      });
  });
  if (body.every !== undefined) {
    const problem = intervalProblem(body.every);
    if (problem) problems.push({ path: 'every', message: problem });
  }

  const action = checkAction(body, problems);
  if (problems.length || !action) return { ok: false, problems };
  return {
    ok: true,
    request: {
      id: body.id,
      cron,
      every: body.every,
      timeZone: body.timeZone,
      overlap: body.overlap,
      paused: body.paused,
      note: body.note,
      action,
    },
  };
}

function checkAction(
  body: z.infer<typeof scheduleSchema>,
  problems: SpecProblem[],
): ScheduleAction | undefined {
  if ((body.sprint === undefined) === (body.standup === undefined)) {
    problems.push({
      path: 'sprint',
      message: 'give either a sprint file (`sprint`) or a stand-up (`standup.sprint`), not both',
    });
    return undefined;
  }
  if (body.standup) {
    const reason = unsafeIdReason(body.standup.sprint);
    if (reason) {
      problems.push({ path: 'standup.sprint', message: reason });
      return undefined;
    }
    return { kind: 'standup', sprintId: body.standup.sprint };
  }
  // The scheduled run's id replaces the file's own; any valid id will do while checking.
  const sprint = body.sprint;
  const withId =
    sprint && typeof sprint === 'object' && !Array.isArray(sprint)
      ? { id: body.id || 'scheduled', ...sprint }
      : sprint;
  const checked = checkSprintSpec(withId);
  if (!checked.ok) {
    for (const problem of checked.problems)
      problems.push({ ...problem, path: `sprint.${problem.path}` });
    return undefined;
  }
  return { kind: 'sprint', spec: checked.spec };
}

/** A schedule interval is a protobuf Duration, which Temporal keeps to 10,000 years. */
const INTERVAL_BOUND: DurationBound = {
  maxMs: TEMPORAL_TIMER_BOUND.maxMs,
  tooLong: 'must be at most 3652500d (10,000 years): Temporal refuses a longer interval',
};

function intervalProblem(every: string): string | undefined {
  const problem = durationProblem(every, INTERVAL_BOUND);
  if (problem === NOT_A_DURATION) return 'is not a duration, like 30m, 1h or 1d';
  if (problem) return problem;
  return (parseDuration(every) ?? 0) < 1_000 ? 'must be at least 1s' : undefined;
}

export function scheduleIdProblem(id: string): string | undefined {
  const reason = unsafeIdReason(id);
  if (reason) return reason;
  if (id.length > MAX_SCHEDULE_ID_LENGTH) {
    return `is longer than ${MAX_SCHEDULE_ID_LENGTH} characters (each run's sprint id adds the time)`;
  }
  return undefined;
}

function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `"${shown(zone)}" is not a time zone: use an IANA name such as UTC or Europe/Berlin`;
  }
}

const CRON_NAMES = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);

function cronProblem(expression: string, timeZone: string): string | undefined {
  const text = expression.trim();
  if (CRON_NAMES.has(text)) return undefined;
  const fields = text.split(/\s+/).length;
  if (fields !== 5) {
    return `"${shown(expression)}" is not a cron expression: it needs 5 fields (minute hour day month weekday), it has ${fields}`;
  }
  try {
    CronExpressionParser.parse(text, { tz: timeZone, strict: false });
    return undefined;
  } catch (error) {
    return `"${shown(expression)}" is not a cron expression: ${shown((error as Error).message, 200)}`;
  }
}
