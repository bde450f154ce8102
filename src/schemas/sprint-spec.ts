import { z } from 'zod';
import { AGENTS } from '../domain/agents';
import { isCalendarDate } from '../domain/day-plan';
import {
  NODE_TIMER_BOUND,
  NOT_A_DURATION,
  PROJECTION_BOUND,
  TEMPORAL_TIMER_BOUND,
  durationProblem,
} from '../domain/duration';
import type { DurationBound } from '../domain/duration';
import { SHOWN_CHARACTERS, shown } from '../domain/shown';
import { DEFAULT_BASE, DEFAULT_CONCURRENCY } from '../domain/spec';
import type { SprintSpec, SpecProblem } from '../domain/spec';
import { validateSpec } from '../domain/validate';

/** A duration no longer than what the runtime that waits for it can count. */
const duration = (bound: DurationBound) =>
  z.string().superRefine((text, ctx) => {
    const problem = durationProblem(text, bound);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

// A deadline given as a duration becomes a Temporal timer; an ISO time has at most year 9999.
const deadline = z.string().superRefine((text, ctx) => {
  if (isIsoTime(text)) return;
  const problem = durationProblem(text, TEMPORAL_TIMER_BOUND);
  if (!problem) return;
  const message =
    problem === NOT_A_DURATION
      ? 'is neither a duration (8h, 2d) nor an ISO time (2026-12-01T17:00:00Z)'
      : problem;
  ctx.addIssue({ code: 'custom', message });
});

function isIsoTime(text: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) &&
    !Number.isNaN(Date.parse(text))
  );
}

const nonEmpty = z.string().trim().min(1, { message: 'must not be empty' });

// A task id is one word, so an executor can name it on a `::done <id>` line.
const packageTask = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    message: 'must be one word of letters, digits, dots, dashes or underscores (like T003)',
  }),
  title: nonEmpty,
  done: z.boolean().optional(),
});

function uniqueTaskIds(tasks: Array<{ id: string }>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  tasks.forEach((task, index) => {
    if (seen.has(task.id)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `${shown(task.id)} is listed twice`,
      });
    }
    seen.add(task.id);
  });
}

export const workPackageSchema = z.strictObject({
  id: nonEmpty,
  title: nonEmpty,
  dependsOn: z.array(z.string()).default([]),
  run: nonEmpty.optional(),
  external: z.boolean().default(false),
  agent: z.enum(AGENTS, { message: `must be one of ${AGENTS.join(', ')}` }).optional(),
  prompt: nonEmpty.max(20_000, { message: 'must be at most 20000 characters' }).optional(),
  priority: z.enum(['P0', 'P1', 'P2']).default('P1'),
  mvp: z.boolean().default(false),
  points: z.number().int().min(0).max(1_000).optional(),
  timeout: duration(NODE_TIMER_BOUND).optional(),
  lease: duration(TEMPORAL_TIMER_BOUND).optional(),
  retry: z.enum(['clean', 'resume'], { message: 'must be clean or resume' }).optional(),
  estimate: duration(PROJECTION_BOUND).optional(),
  tasks: z.array(packageTask).max(1_000).superRefine(uniqueTaskIds).optional(),
  description: z.string().optional(),
  test: z.string().optional(),
});

const days = z.union([
  z
    .number()
    .int({ message: 'must be a whole number of working days' })
    .min(1, { message: 'must be at least 1' })
    .max(366, { message: 'must be at most 366' })
    .transform((count) => ({ count })),
  z.strictObject({
    count: z.number().int().min(1).max(366),
    start: z
      .string()
      .refine(isCalendarDate, { message: 'is not a date written YYYY-MM-DD' })
      .optional(),
    length: duration(TEMPORAL_TIMER_BOUND).optional(),
  }),
]);

export const sprintSpecSchema = z.strictObject({
  id: nonEmpty,
  title: z.string().optional(),
  repo: nonEmpty,
  base: nonEmpty.default(DEFAULT_BASE),
  strategy: z.enum(['waves', 'eager']).default('waves'),
  concurrency: z
    .number()
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(1_000, { message: 'must be at most 1000' })
    .default(DEFAULT_CONCURRENCY),
  scope: z.enum(['full', 'mvp']).default('full'),
  deadline: deadline.optional(),
  days: days.optional(),
  capacity: z
    .number()
    .positive({ message: 'must be more than 0 points per day' })
    .max(10_000)
    .optional(),
  packages: z.array(workPackageSchema),
  integration: z
    .strictObject({
      branch: nonEmpty.optional(),
      checks: z.array(nonEmpty).default([]),
      push: z.boolean().optional(),
      remote: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
          message: 'must be the name of a git remote, like origin (letters, digits, . _ -)',
        })
        .optional(),
      pushPackages: z.boolean().optional(),
      pushOnFailure: z.boolean().optional(),
    })
    .default({ checks: [] }),
  github: z
    .strictObject({
      repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
        message: 'must be of the form owner/name',
      }),
      issue: z.number().int().positive().optional(),
      sync: z.boolean().default(true),
      minInterval: duration(TEMPORAL_TIMER_BOUND).default('10s'),
      pullRequest: z.boolean().optional(),
      draftOnFailure: z.boolean().optional(),
    })
    .optional(),
});

export type SprintSpecInput = z.input<typeof sprintSpecSchema>;

export type SpecCheck = { ok: true; spec: SprintSpec } | { ok: false; problems: SpecProblem[] };

/**
 * Formats a zod path the way people read it: `packages[3].dependsOn[0]`. A key that is not
 * one plain word is quoted (`packages[0][" "]`), so an empty or blank key still shows; a long
 * one is shortened.
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && isPlainKey(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(shown(String(key)))}]`;
  }
  return out || '(sprint file)';
}

function isPlainKey(key: string): boolean {
  return key.length <= SHOWN_CHARACTERS && /^[\w$-]+$/.test(key);
}

function zodProblems(error: z.ZodError): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: 'is not a known field' });
      }
      continue;
    }
    problems.push({ path: formatPath(issue.path), message: describeIssue(issue) });
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

/** Schema, then graph: every problem at once, each with its path. Never throws. */
export function checkSprintSpec(raw: unknown): SpecCheck {
  // With the input in each issue, a value of the wrong type is told apart from a missing one.
  const parsed = sprintSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error) };
  const spec = parsed.data as SprintSpec;
  const problems = validateSpec(spec);
  return problems.length ? { ok: false, problems } : { ok: true, spec };
}
