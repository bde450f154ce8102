import { z } from 'zod';
import { agentLabel, overallProgress, packagePercent } from '../domain/progress';
import { failureOutput } from '../domain/failure-output';
import type { SprintProgress } from '../domain/progress';
import { sprintWebUiLinks } from '../domain/web-ui';
import type { WebUiAddress } from '../domain/web-ui';

/**
 * The sprint status JSON of `status --json`, `run --json`, `GET /sprints/:id` and each event of
 * its stream: what `sprintStatusJson` returns, and the API's documented answer.
 */

export const SPRINT_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export const PACKAGE_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'blocked',
  'cancelled',
  'deferred',
] as const;
export const INTEGRATION_STATUSES = ['pending', 'merging', 'checking', 'done', 'skipped'] as const;

export const sprintStatusSchema = z.enum(SPRINT_STATUSES);
const packageStatus = z.enum(PACKAGE_STATUSES);
const isoTime = z.iso.datetime();
const count = z.number().int().min(0);

const taskTick = z.object({
  id: z.string().describe('The task id, as in the sprint file.'),
  done: z.boolean(),
});

export const packageStatusJsonSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: packageStatus,
  wave: z
    .number()
    .int()
    .min(0)
    .describe('The wave the package belongs to, from 1; 0 for a deferred package.'),
  percent: z
    .number()
    .min(0)
    .max(100)
    .describe("How far it is: its executor's `::progress` counts, else its checklist."),
  agent: z
    .string()
    .optional()
    .describe('Who does the work, as the table shows it: `impl-claude-163007`, `sh`, a reporter.'),
  executor: z.string().optional().describe('An agent preset (`claude`), `sh`, or `external`.'),
  day: z.number().int().min(1).optional().describe("A multi-day sprint's package: its day."),
  dayStartsAt: isoTime.optional().describe('When that day begins.'),
  branch: z.string(),
  worktree: z.string().optional(),
  commit: z.string().optional().describe('The commit of its work, once it completed.'),
  filesChanged: count.optional(),
  filesCompleted: count,
  filesTotal: count,
  attempt: z.number().int().min(1),
  exitCode: z.number().int().nullable().optional().describe('null: killed by a signal.'),
  note: z.string().optional().describe('The last progress note, or why it waits.'),
  error: z.string().optional(),
  outputTail: z
    .array(z.string())
    .optional()
    .describe('A failed package: the last lines of its output, cut, credentials taken out.'),
  blockedBy: z.array(z.string()).optional().describe('The packages whose failure blocks it.'),
  tasks: z.array(taskTick).optional().describe('Its checklist, ticked off by `::done <id>`.'),
  keptAttempts: z.array(z.string()).optional().describe('Refs keeping what earlier attempts left.'),
});

const overallSchema = z
  .object({
    packages: count,
    completed: count,
    failed: count,
    inProgress: count,
    filesCompleted: count,
    filesTotal: count,
    percent: z.number().min(0).max(100),
  })
  .describe('Counts over the packages in scope (deferred ones do not count).');

const integrationSchema = z.object({
  branch: z.string(),
  status: z.enum(INTEGRATION_STATUSES),
  commit: z.string().optional(),
  merged: z.array(z.string()).describe('The packages merged, in merge order.'),
  conflicts: z.array(
    z.object({ wpId: z.string(), branch: z.string(), files: z.array(z.string()) }),
  ),
  checks: z.array(
    z.object({
      command: z.string(),
      exitCode: z.number().int().nullable(),
      passed: z.boolean(),
      durationMs: z.number().min(0),
    }),
  ),
  error: z.string().optional(),
});

const deliverySchema = z
  .object({
    remote: z.string().optional(),
    pushed: z.array(
      z.object({
        branch: z.string(),
        commit: z.string(),
        unchanged: z.boolean().describe('The remote had it at this commit already.'),
      }),
    ),
    notPushed: z.string().optional().describe('Why nothing was pushed.'),
    error: z.string().optional().describe('The push was refused or failed.'),
    pullRequest: z
      .object({
        url: z.string().optional(),
        number: z.number().int().optional(),
        draft: z.boolean().optional(),
        created: z.boolean().optional(),
        note: z.string().optional().describe('Why there is none, or who is still opening it.'),
        error: z.string().optional(),
      })
      .optional(),
  })
  .describe('Push and pull request, when the sprint file asks for them.');

export const statusLinksSchema = z.object({
  self: z.string().optional(),
  webUi: z.string().optional().describe("The sprint's page in the Temporal Web UI."),
  packages: z
    .record(z.string(), z.string())
    .optional()
    .describe("Package id → its child workflow's page in the Web UI."),
});

export const statusJsonSchema = z.object({
  id: z.string(),
  title: z.string().optional(),
  status: sprintStatusSchema,
  headline: z.string().describe('What changed last: `Package WP02 completed`.'),
  strategy: z.enum(['waves', 'eager']),
  scope: z.enum(['full', 'mvp']),
  concurrency: z.number().int().min(1),
  startedAt: isoTime,
  finishedAt: isoTime.optional(),
  deadlineAt: isoTime.optional().describe("When the sprint file's `deadline` falls."),
  packages: z.array(packageStatusJsonSchema),
  overall: overallSchema,
  integration: integrationSchema,
  predictedConflicts: z
    .array(
      z.object({
        wpId: z.string().describe('The package whose branch would not merge.'),
        with: z.array(z.string()).describe('The packages before it that changed the same files.'),
        files: z.array(z.string()),
      }),
    )
    .describe(
      'What the merge rehearsal predicts between completed packages while the sprint runs; the final merge decides.',
    ),
  delivery: deliverySchema.optional(),
  reasons: z.array(z.string()).describe('Why the sprint did not complete, in sentences.'),
  links: statusLinksSchema,
});

export type StatusJson = z.infer<typeof statusJsonSchema>;
export type PackageStatusJson = z.infer<typeof packageStatusJsonSchema>;
export type StatusLinks = z.infer<typeof statusLinksSchema>;

/**
 * The sprint status JSON of `status --json`, `run --json` and `GET /sprints/:id`. With the
 * Web UI's address, `links` carries the pages of the sprint and of every package.
 */
export function sprintStatusJson(
  state: SprintProgress,
  links: StatusLinks = {},
  ui?: WebUiAddress,
): StatusJson {
  return {
    id: state.id,
    title: state.title,
    status: state.status,
    headline: state.headline,
    strategy: state.strategy,
    scope: state.scope,
    concurrency: state.concurrency,
    startedAt: new Date(state.startedAt).toISOString(),
    finishedAt:
      state.finishedAt === undefined ? undefined : new Date(state.finishedAt).toISOString(),
    deadlineAt:
      state.deadlineAt === undefined ? undefined : new Date(state.deadlineAt).toISOString(),
    packages: state.packages.map((wp) => ({
      id: wp.id,
      title: wp.title,
      status: wp.status,
      wave: wp.wave,
      percent: packagePercent(wp),
      agent: wp.executor === undefined ? wp.agent : agentLabel(wp),
      executor: wp.executor,
      day: wp.day,
      dayStartsAt:
        wp.dayStartsAt === undefined ? undefined : new Date(wp.dayStartsAt).toISOString(),
      branch: wp.branch,
      worktree: wp.worktree,
      commit: wp.commit,
      filesChanged: wp.filesChanged,
      filesCompleted: wp.filesCompleted,
      filesTotal: wp.filesTotal,
      attempt: wp.attempt,
      exitCode: wp.exitCode,
      note: wp.note,
      error: wp.error,
      /** The last lines of a failed package's output, cut and with credentials taken out. */
      outputTail: wp.status === 'failed' ? failureOutput(wp) : undefined,
      blockedBy: wp.blockedBy,
      tasks: wp.tasks,
      keptAttempts: wp.keptAttempts,
    })),
    overall: overallProgress(state),
    integration: {
      branch: state.integration.branch,
      status: state.integration.status,
      commit: state.integration.commit,
      merged: state.integration.merged,
      conflicts: state.integration.conflicts,
      checks: state.integration.checks.map(({ command, exitCode, passed, durationMs }) => ({
        command,
        exitCode,
        passed,
        durationMs,
      })),
      error: state.integration.error,
    },
    predictedConflicts: state.predictedConflicts ?? [],
    delivery: state.delivery,
    reasons: state.reasons,
    links: ui ? { ...sprintWebUiLinks(ui, state), ...links } : links,
  };
}

/** The status JSON; its schema, `statusJsonSchema`, is the API's documented answer. */
export type SprintStatusJson = StatusJson;
