import path from 'node:path';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from '../service/schedules';
import type { ScheduleView } from '../service/schedules';
import type { Config } from '../runtime/config';
import {
  checkSchedule,
  scheduleBodySchema as scheduleBody,
  scheduleViewSchema as scheduleView,
} from '../schemas/schedule';
import { invalidInput } from './errors';
import { errorResponses } from './schemas';
import type { ZodApp } from './schemas';

export interface ScheduleRouteDeps {
  client: Client;
  config: Readonly<Config>;
}

const scheduleParams = z.object({ id: z.string().min(1) });

const noteBody = z.object({ note: z.string().max(500).optional() }).nullish();

/** `/schedules`: recurring sprints and stand-ups on Temporal Schedules. */
export function registerScheduleRoutes(app: ZodApp, deps: ScheduleRouteDeps): void {
  const { client, config } = deps;

  app.post(
    '/schedules',
    {
      schema: {
        summary: 'Create a schedule: a sprint file (each run its own sprint id) or a stand-up',
        body: scheduleBody,
        response: { 201: scheduleView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const checked = checkSchedule(request.body);
      if (!checked.ok) throw invalidInput(checked.problems, 'Invalid schedule');
      const { action } = checked.request;
      if (action.kind === 'sprint') {
        if (!path.isAbsolute(action.spec.repo)) {
          throw invalidInput(
            [{ path: 'sprint.repo', message: 'must be an absolute path' }],
            'Invalid schedule',
          );
        }
      }
      const view = await createSchedule(client, config, checked.request);
      return reply
        .code(201)
        .header('location', `/schedules/${encodeURIComponent(view.id)}`)
        .send(view);
    },
  );

  app.get(
    '/schedules',
    {
      schema: {
        summary: 'The schedules and their next runs',
        response: { 200: z.object({ schedules: z.array(scheduleView) }), ...errorResponses },
      },
    },
    async () => ({ schedules: await listSchedules(client) }),
  );

  app.get(
    '/schedules/:id',
    {
      schema: {
        summary: 'A schedule: what it runs, when, its next run times and recent runs',
        params: scheduleParams,
        response: { 200: scheduleView, ...errorResponses },
      },
    },
    async (request) => describeSchedule(await getSchedule(client, request.params.id)),
  );

  const change = (
    name: 'trigger' | 'pause' | 'unpause',
    summary: string,
    run: (id: string, note?: string) => Promise<ScheduleView>,
  ) =>
    app.post(
      `/schedules/:id/${name}`,
      {
        schema: {
          summary,
          params: scheduleParams,
          body: noteBody,
          response: { 200: scheduleView, ...errorResponses },
        },
      },
      async (request) => run(request.params.id, request.body?.note),
    );
  change('trigger', 'Run the schedule now', (id) => triggerSchedule(client, id));
  change('pause', 'Stop starting runs until unpaused', (id, note) =>
    pauseSchedule(client, id, note),
  );
  change('unpause', 'Start runs again', (id, note) => unpauseSchedule(client, id, note));

  app.delete(
    '/schedules/:id',
    {
      schema: {
        summary: 'Delete a schedule (its past runs stay)',
        params: scheduleParams,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteSchedule(client, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
