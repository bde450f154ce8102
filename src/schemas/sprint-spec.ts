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
import { MAX_ID_LENGTH, unsafeIdReason } from '../domain/ids';
import { baseRefProblem, branchNameProblem } from '../domain/ref-format';
import { SHOWN_CHARACTERS, shown } from '../domain/shown';
import { DEFAULT_BASE, DEFAULT_CONCURRENCY } from '../domain/spec';
import type { SprintSpec, SpecProblem } from '../domain/spec';
import { packageGraphProblems, validateSpec } from '../domain/validate';
import { GITHUB_REPO, GITHUB_REPO_RULE } from './github-repo';

/** A duration no longer than what the runtime that waits for it can count. */
const duration = (bound: DurationBound, limit: string) =>
  z
    .string()
    .superRefine((text, ctx) => {
      const problem = durationProblem(text, bound);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ 'x-type': 'duration', 'x-limit': limit });

const TIMER_LIMIT = 'at most 3652500d (10,000 years)';

// A deadline given as a duration becomes a Temporal timer; an ISO time has at most year 9999.
const deadline = z
  .string()
  .superRefine((text, ctx) => {
    if (isIsoTime(text)) return;
    const problem = durationProblem(text, TEMPORAL_TIMER_BOUND);
    if (!problem) return;
    const message =
      problem === NOT_A_DURATION
        ? 'is neither a duration (8h, 2d) nor an ISO time (2026-12-01T17:00:00Z)'
        : problem;
    ctx.addIssue({ code: 'custom', message });
  })
  .meta({ 'x-type': 'duration or ISO time', 'x-limit': `a duration ${TIMER_LIMIT}` });

function isIsoTime(text: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) &&
    !Number.isNaN(Date.parse(text))
  );
}

const nonEmpty = z.string().trim().min(1, { message: 'must not be empty' });

/** Adds a refinement that names the value, when `problem` finds one (an empty text is left to `min`). */
const refined = (problem: (text: string) => string | undefined) =>
  nonEmpty.superRefine((text, ctx) => {
    const message = text === '' ? undefined : problem(text);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

// Sprint and package ids become branch components and folder names.
const usableId = refined((id) => {
  const reason = unsafeIdReason(id);
  return (
    reason &&
    `${JSON.stringify(shown(id)).slice(1, -1)} is not usable as a branch or folder name: ${reason}`
  );
}).meta({
  'x-limit': `letters, digits, . _ -, starting with a letter or digit, at most ${MAX_ID_LENGTH} characters`,
});

const gitRef = refined((base) => {
  const reason = baseRefProblem(base);
  return reason && `${shown(base)} is not usable as a git ref: ${reason}`;
}).meta({ 'x-limit': 'a git ref: not starting with -, no control characters' });

const branchName = refined((branch) => {
  const reason = branchNameProblem(branch);
  return reason && `${shown(branch)} is not a valid git branch name: ${reason}`;
}).meta({ 'x-limit': 'a name git takes as a branch (git check-ref-format --branch)' });

// A task id is one word, so an executor can name it on a `::done <id>` line.
const packageTask = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      message: 'must be one word of letters, digits, dots, dashes or underscores (like T003)',
    })
    .meta({ 'x-limit': 'one word: letters, digits, . _ -, at most 64 characters' })
    .describe('One word, unique within the package, like T003: `::done T003` ticks it off.'),
  title: nonEmpty.describe('What the task is.'),
  done: z.boolean().optional().describe('Already done when the sprint starts (`- [x]` in a plan).'),
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
  id: usableId.describe(
    "The package's id, in its branch (`sprintwave/<sprint>/<id>`) and folder; unique, also ignoring case.",
  ),
  title: nonEmpty.describe('What the package delivers.'),
  dependsOn: z
    .array(z.string())
    .default([])
    .describe(
      'Ids of the packages this one needs: it starts after them, their work merged into its branch.',
    ),
  run: nonEmpty.optional().describe("A shell command run with `sh -c` in the package's worktree."),
  external: z
    .boolean()
    .default(false)
    .describe('The work is done by an agent or a person who reports over the HTTP API.'),
  agent: z
    .enum(AGENTS, { message: `must be one of ${AGENTS.join(', ')}` })
    .optional()
    .describe('An AI coding agent CLI run in the worktree, told what to do by a prompt.'),
  prompt: nonEmpty
    .max(20_000, { message: 'must be at most 20000 characters' })
    .optional()
    .describe("Instructions added to the agent's prompt (with `agent` only)."),
  priority: z.enum(['P0', 'P1', 'P2']).default('P1').describe('P0 is the most urgent.'),
  mvp: z.boolean().default(false).describe('Part of the MVP scope (`scope: mvp`).'),
  points: z.number().int().min(0).max(1_000).optional().describe('Story points.'),
  timeout: duration(NODE_TIMER_BOUND, "at most 24d (Node's setTimeout)")
    .optional()
    .describe('How long the command may run (default 2h).'),
  lease: duration(TEMPORAL_TIMER_BOUND, TIMER_LIMIT)
    .optional()
    .describe(
      'External packages only: with no report for this long, the package fails as stalled.',
    ),
  retry: z
    .enum(['clean', 'resume'], { message: 'must be clean or resume' })
    .optional()
    .describe(
      "What a retried attempt starts from: `clean` (the default) resets the worktree to the package's base, keeping the earlier work under a ref; `resume` goes on from what it left.",
    ),
  estimate: duration(PROJECTION_BOUND, `${TIMER_LIMIT}, and so are all estimates added up`)
    .optional()
    .describe('How long the package is expected to take, for the deadline projection.'),
  tasks: z
    .array(packageTask)
    .max(1_000)
    .superRefine(uniqueTaskIds)
    .optional()
    .describe("The package's checklist: an executor's `::done <id>` line ticks one off."),
  description: z
    .string()
    .optional()
    .describe('What the package is for, for people and agent prompts.'),
  test: z.string().optional().describe('How to check the package on its own.'),
});

const days = z.union([
  z
    .number()
    .int({ message: 'must be a whole number of working days' })
    .min(1, { message: 'must be at least 1' })
    .max(366, { message: 'must be at most 366' })
    .transform((count) => ({ count })),
  z.strictObject({
    count: z.number().int().min(1).max(366).describe('Number of working days.'),
    start: z
      .string()
      .refine(isCalendarDate, { message: 'is not a date written YYYY-MM-DD' })
      .optional()
      .describe(
        'The first working day, YYYY-MM-DD (days start at 00:00 UTC; weekends are skipped; the last day is at most 9999-12-31).',
      ),
    length: duration(TEMPORAL_TIMER_BOUND, `${TIMER_LIMIT} × (count − 1) in all`)
      .optional()
      .describe("Without `start`: one day's length from the sprint's start (default 24h)."),
  }),
]);

const integrationSchema = z.strictObject({
  branch: branchName
    .optional()
    .describe(
      'The branch the packages are merged into (default `sprintwave/<id>/integration`); not a folder of the package branches.',
    ),
  checks: z
    .array(nonEmpty)
    .default([])
    .describe('Shell commands that must pass on the merged branch.'),
  push: z
    .boolean()
    .optional()
    .describe('Push the integration branch to `remote` after a clean merge and passing checks.'),
  remote: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
      message: 'must be the name of a git remote, like origin (letters, digits, . _ -)',
    })
    .meta({ 'x-limit': 'letters, digits, . _ -' })
    .optional()
    .describe('The git remote to push to (default `origin`).'),
  pushPackages: z.boolean().optional().describe("Push the merged packages' branches too."),
  pushOnFailure: z
    .boolean()
    .optional()
    .describe('Push also when the sprint failed or had conflicts.'),
});

const githubSchema = z.strictObject({
  repo: z
    .string()
    .regex(GITHUB_REPO, { message: GITHUB_REPO_RULE })
    .meta({
      'x-limit':
        'owner: letters, digits and single hyphens, not first or last, at most 39 characters; name: letters, digits, . _ -, at most 100 characters',
    })
    .describe("The GitHub repository, `owner/name`, as GitHub's rules have them."),
  issue: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("The issue whose comment shows the sprint's live progress."),
  sync: z.boolean().default(true).describe('`false`: no GitHub call at all.'),
  minInterval: duration(TEMPORAL_TIMER_BOUND, TIMER_LIMIT)
    .default('10s')
    .describe('At most one progress write per this duration.'),
  pullRequest: z
    .boolean()
    .optional()
    .describe(
      'Open (or update) a pull request from the integration branch into `base`; needs `integration.push`.',
    ),
  draftOnFailure: z
    .boolean()
    .optional()
    .describe(
      'Open the pull request as a draft when a check failed or a package was deferred (default true).',
    ),
});

export const sprintSpecSchema = z.strictObject({
  id: usableId.describe(
    "The sprint's id: its workflow id, and a part of its branch names and folders.",
  ),
  title: z.string().optional().describe("The sprint's title (Web UI summary, pull request title)."),
  repo: nonEmpty.describe('A local git repository, relative to the sprint file.'),
  base: gitRef.default(DEFAULT_BASE).describe('The branch packages start from.'),
  strategy: z
    .enum(['waves', 'eager'])
    .default('waves')
    .describe(
      '`waves`: wave by wave; `eager`: each package as soon as its own dependencies are done.',
    ),
  concurrency: z
    .number()
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(1_000, { message: 'must be at most 1000' })
    .default(DEFAULT_CONCURRENCY)
    .describe('Packages running at once.'),
  scope: z
    .enum(['full', 'mvp'])
    .default('full')
    .describe('`mvp`: only the MVP packages and what they need.'),
  deadline: deadline
    .optional()
    .describe("A duration from the sprint's start (8h) or an ISO time (2026-12-01T17:00:00Z)."),
  days: days
    .optional()
    .describe(
      'A multi-day sprint: a number of working days, or `{ count, start, length }`. Packages are planned onto days and start no earlier than theirs.',
    ),
  capacity: z
    .number()
    .positive({ message: 'must be more than 0 points per day' })
    .max(10_000)
    .optional()
    .describe(
      'Story points per day, with `days` (default: the points spread evenly over the days).',
    ),
  packages: z
    .array(workPackageSchema)
    .min(1, { message: 'has no work packages: a sprint needs at least one' })
    .describe('The work packages.'),
  integration: integrationSchema
    .default({ checks: [] })
    .describe('Where the packages are merged, what must pass there, and what is pushed.'),
  github: githubSchema.optional().describe('Live progress on a GitHub issue, and a pull request.'),
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
  if (!parsed.success) {
    // Every problem in one pass: those between packages too, as far as they can be told.
    const problems = zodProblems(parsed.error);
    const told = new Set(problems.map((problem) => problem.path));
    const between = packageGraphProblems(raw).filter((problem) => !told.has(problem.path));
    return { ok: false, problems: [...problems, ...between] };
  }
  const spec: SprintSpec = parsed.data;
  const problems = validateSpec(spec);
  return problems.length ? { ok: false, problems } : { ok: true, spec };
}
