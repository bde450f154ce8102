import type { Client } from '@temporalio/client';
import { z } from 'zod';
import {
  MAX_NOTE_LENGTH,
  MAX_REPORTER_LENGTH,
  MAX_REPORT_TEXT_LENGTH,
  MAX_TASKS,
  MAX_TASK_ID_LENGTH,
  REPORTER_PATTERN,
} from '../domain/external-package';
import {
  completePackageUpdate,
  failPackageUpdate,
  reportProgressUpdate,
} from '../workflows/messages';
import { ReportCoalescer } from './report-coalescer';
import { errorBody, errorResponses, packageParams } from './schemas';
import type { ZodApp } from './schemas';
import { reportToPackage } from '../service/sprints';

/** Progress of one package reaches its workflow at most this often (default 1 s), the latest. */
export const PROGRESS_INTERVAL_MS = 1_000;

const attempt = z
  .number()
  .int({ message: 'must be a whole number' })
  .min(1, { message: 'must be at least 1' })
  .optional()
  .describe(
    'The attempt the agent works on (the package status JSON has it); a stale one is refused',
  );
const by = z
  .string()
  .trim()
  .min(1, { message: 'must name who reports' })
  .max(MAX_REPORTER_LENGTH)
  .regex(REPORTER_PATTERN, {
    message:
      'must be letters, digits, spaces, `.`, `_`, `@` or `-`, starting with a letter or digit',
  })
  .optional()
  .describe("Who reports: a person's or an agent's name, shown as the package's agent");
const count = z
  .number()
  .int({ message: 'must be a whole number' })
  .min(0, { message: 'must not be negative' });

export const progressReportBody = z
  .strictObject({
    filesCompleted: count,
    filesTotal: count,
    note: z.string().max(MAX_NOTE_LENGTH).optional(),
    /** Tasks of the package's checklist now done; earlier ones stay done. */
    tasksDone: z.array(z.string().trim().min(1).max(MAX_TASK_ID_LENGTH)).max(MAX_TASKS).optional(),
    attempt,
    by,
  })
  .refine((report) => report.filesCompleted <= report.filesTotal, {
    message: 'must not be more than filesTotal',
    path: ['filesCompleted'],
  });

/** May be left out: an agent may just say it is done. */
export const completionReportBody = z
  .strictObject({ summary: z.string().max(MAX_REPORT_TEXT_LENGTH).optional(), attempt, by })
  .nullish();

export const failureReportBody = z.strictObject({
  error: z
    .string()
    .trim()
    .min(1, { message: 'must say what went wrong' })
    .max(MAX_REPORT_TEXT_LENGTH),
  attempt,
  by,
});

export const packageReportReply = z.object({
  id: z.string(),
  status: z.enum(['in_progress', 'completed', 'failed']),
  attempt: z.number(),
  filesCompleted: z.number(),
  filesTotal: z.number(),
});

export interface PackageRouteDeps {
  client: Client;
  progressIntervalMs?: number;
}

/**
 * `POST /sprints/:id/packages/:wp/{progress,complete,fail}`: an external package's agent
 * reports through these; each becomes an update on the package's workflow. Progress is
 * coalesced per package and attempt, so a chatty agent costs the histories little.
 */
export function registerPackageRoutes(api: ZodApp, deps: PackageRouteDeps): void {
  const { client } = deps;
  const progress = new ReportCoalescer(deps.progressIntervalMs ?? PROGRESS_INTERVAL_MS);
  const pendingTicks = new Map<string, Set<string>>();
  api.addHook('onClose', () => progress.flush());
  const response = { 202: packageReportReply, ...errorResponses, 503: errorBody };

  api.post(
    '/sprints/:id/packages/:wp/progress',
    {
      schema: {
        summary: `Report an external package's progress (sent on at most once per ${
          (deps.progressIntervalMs ?? PROGRESS_INTERVAL_MS) / 1_000
        } s, the latest); renews its lease`,
        params: packageParams,
        body: progressReportBody,
        response,
      },
    },
    async (request, reply) => {
      const { id, wp } = request.params;
      const report = request.body;
      const key = JSON.stringify([id, wp, report.attempt ?? null]);
      // The latest report goes out for all that came meanwhile: it carries their ticks too.
      const ticks = pendingTicks.get(key) ?? new Set<string>();
      for (const task of report.tasksDone ?? []) ticks.add(task);
      pendingTicks.set(key, ticks);
      const state = await progress.submit(key, () => {
        pendingTicks.delete(key);
        const tasksDone = ticks.size ? [...ticks] : undefined;
        return reportToPackage(client, id, wp, reportProgressUpdate, { ...report, tasksDone });
      });
      return reply.code(202).send(state);
    },
  );

  api.post(
    '/sprints/:id/packages/:wp/complete',
    {
      schema: {
        summary: 'Report an external package done: its worktree is committed as its work',
        params: packageParams,
        body: completionReportBody,
        response,
      },
    },
    async (request, reply) => {
      const { id, wp } = request.params;
      const report = request.body ?? {};
      const state = await reportToPackage(client, id, wp, completePackageUpdate, report);
      return reply.code(202).send(state);
    },
  );

  api.post(
    '/sprints/:id/packages/:wp/fail',
    {
      schema: {
        summary: 'Report an external package failed, with why; it can then be retried',
        params: packageParams,
        body: failureReportBody,
        response,
      },
    },
    async (request, reply) => {
      const { id, wp } = request.params;
      const state = await reportToPackage(client, id, wp, failPackageUpdate, request.body);
      return reply.code(202).send(state);
    },
  );
}
