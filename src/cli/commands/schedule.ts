import { loadConfig } from '../../runtime/config';
import type { Command } from 'commander';
import { buildStandup, renderStandup } from '../../domain/standup';
import { checkSchedule } from '../../schemas/schedule';
import { standupWorkflow } from '../../workflows';
import { EXIT } from '../errors';
import { BadInput } from '../../service/errors';
import type { CliIO } from '../io';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from '../../service/schedules';
import type { ScheduleView } from '../../service/schedules';
import { withSession } from '../session';
import { readSprint } from '../../service/sprints';
import { loadRunnableSprint } from '../sprint-file';

type Action = <A extends unknown[]>(
  fn: (...args: A) => Promise<number>,
) => (...args: A) => Promise<void>;

export interface CreateScheduleOptions {
  cron?: string[];
  every?: string;
  tz?: string;
  overlap?: string;
  paused?: boolean;
  note?: string;
  sprint?: string;
  standup?: string;
  json?: boolean;
}

/** `sprintwave schedule …` and `sprintwave standup`. */
export function addScheduleCommands(program: Command, action: Action, io: CliIO): void {
  const schedule = program
    .command('schedule')
    .description('recurring sprints and stand-ups on Temporal Schedules');
  schedule
    .command('create <id>')
    .description('create a schedule that runs a sprint file or the stand-up of a sprint')
    .option('--cron <expression...>', 'cron expressions, e.g. "0 2 * * 1-5"')
    .option('--every <duration>', 'or a fixed interval, e.g. 1h')
    .option('--tz <zone>', 'IANA time zone of the cron expressions', 'UTC')
    .option(
      '--overlap <policy>',
      'when a run is still going: skip, buffer_one, buffer_all, cancel_other, terminate_other, allow_all',
      'skip',
    )
    .option('--paused', 'create it paused')
    .option('--note <text>', 'a note shown with the schedule')
    .option('--sprint <file>', 'the sprint file each run starts (each run gets its own sprint id)')
    .option('--standup <sprintId>', 'or: take the stand-up of this sprint')
    .option('--json', 'print the schedule as JSON')
    .action(
      action((id: string, opts: CreateScheduleOptions) => createScheduleCommand(id, opts, io)),
    );
  schedule
    .command('list')
    .description('the schedules and their next runs')
    .option('--json', 'print them as JSON')
    .action(
      action((opts: { json?: boolean }) =>
        withSession(io, { worker: 'never' }, async (session) => {
          const views = await listSchedules(session.temporal.client);
          if (opts.json) io.out(JSON.stringify(views, null, 2));
          else if (!views.length) io.out('No schedules.');
          else for (const view of views) io.out(summaryLine(view));
          return EXIT.ok;
        }),
      ),
    );
  schedule
    .command('describe <id>')
    .description('a schedule: what it runs, when, its next run times and recent runs')
    .option('--json', 'print it as JSON')
    .action(
      action((id: string, opts: { json?: boolean }) =>
        withSession(io, { worker: 'never' }, async (session) => {
          const view = await describeSchedule(await getSchedule(session.temporal.client, id));
          io.out(opts.json ? JSON.stringify(view, null, 2) : describeText(view));
          return EXIT.ok;
        }),
      ),
    );
  const simple = (
    name: string,
    description: string,
    run: (
      client: Parameters<typeof triggerSchedule>[0],
      id: string,
      note?: string,
    ) => Promise<unknown>,
    done: (id: string) => string,
  ) =>
    schedule
      .command(`${name} <id>`)
      .description(description)
      .option('--note <text>', 'why (pause and unpause)')
      .action(
        action((id: string, opts: { note?: string }) =>
          withSession(io, { worker: 'never' }, async (session) => {
            await run(session.temporal.client, id, opts.note);
            io.out(done(id));
            return EXIT.ok;
          }),
        ),
      );
  simple('trigger', 'run the schedule now', triggerSchedule, (id) => `Schedule ${id} triggered.`);
  simple(
    'pause',
    'stop starting runs until unpaused',
    pauseSchedule,
    (id) => `Schedule ${id} paused.`,
  );
  simple('unpause', 'start runs again', unpauseSchedule, (id) => `Schedule ${id} unpaused.`);
  simple(
    'delete',
    'delete the schedule (its past runs stay)',
    deleteSchedule,
    (id) => `Schedule ${id} deleted.`,
  );

  program
    .command('standup <sprint>')
    .description(
      'yesterday, today, blockers and points of a sprint, in the daily stand-up template',
    )
    .option('--json', 'print the stand-up as JSON')
    .option('--post', "also post it to the sprint's GitHub issue (that day's own comment)")
    .action(
      action((sprintId: string, opts: { json?: boolean; post?: boolean }) =>
        standupCommand(sprintId, opts, io),
      ),
    );
}

export async function createScheduleCommand(
  id: string,
  opts: CreateScheduleOptions,
  io: CliIO,
): Promise<number> {
  const sprint =
    opts.sprint === undefined
      ? undefined
      : await loadRunnableSprint(opts.sprint, loadConfig(process.env));
  const checked = checkSchedule({
    id,
    cron: opts.cron?.length === 1 ? opts.cron[0] : opts.cron,
    every: opts.every,
    timeZone: opts.tz ?? 'UTC',
    overlap: opts.overlap ?? 'skip',
    paused: opts.paused ?? false,
    note: opts.note,
    sprint,
    standup: opts.standup === undefined ? undefined : { sprint: opts.standup },
  });
  if (!checked.ok) throw new BadInput(`schedule ${id}`, checked.problems, 'schedule');
  return withSession(io, { worker: 'never' }, async (session) => {
    const view = await createSchedule(session.temporal.client, session.config, checked.request);
    io.out(
      opts.json ? JSON.stringify(view, null, 2) : `Schedule ${id} created.\n${describeText(view)}`,
    );
    return EXIT.ok;
  });
}

async function standupCommand(
  sprintId: string,
  opts: { json?: boolean; post?: boolean },
  io: CliIO,
): Promise<number> {
  if (!opts.post) {
    return withSession(io, { worker: 'never' }, async (session) => {
      const state = await readSprint(session.temporal.client, sprintId);
      const standup = buildStandup(state, Date.now());
      io.out(
        opts.json
          ? JSON.stringify(standup, null, 2)
          : renderStandup(standup, state.title ?? state.id),
      );
      return EXIT.ok;
    });
  }
  return withSession(io, { worker: 'embedded' }, async (session) => {
    await readSprint(session.temporal.client, sprintId);
    const result = await session.temporal.client.workflow.execute(standupWorkflow, {
      workflowId: `standup/${sprintId}/${new Date().toISOString().slice(0, 10)}`,
      taskQueue: session.config.temporal.taskQueue,
      args: [{ sprintId }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    io.out(opts.json ? JSON.stringify(result, null, 2) : result.markdown);
    io.err(
      result.commentUrl
        ? `Posted: ${result.commentUrl}`
        : 'The sprint has no GitHub issue: nothing posted.',
    );
    return EXIT.ok;
  });
}

function summaryLine(view: ScheduleView): string {
  const when = view.cron.length ? view.cron.join(', ') : `every ${view.every}`;
  const what = view.kind === 'standup' ? `stand-up of ${view.sprint}` : `sprint ${view.sprint}`;
  const next = view.paused ? 'paused' : `next ${view.nextRuns[0] ?? '—'}`;
  return `${view.id}  ${what}  ${when} (${view.timeZone})  ${next}`;
}

function describeText(view: ScheduleView): string {
  const lines = [
    `Schedule: ${view.id}${view.paused ? ' (paused)' : ''}`,
    `Runs: ${view.kind === 'standup' ? `the stand-up of sprint ${view.sprint}` : `sprint file ${view.sprint} (each run as ${view.id}-<time>)`}`,
    `When: ${view.cron.length ? `cron ${view.cron.join(', ')}` : `every ${view.every}`} in ${view.timeZone}; overlap: ${view.overlap}`,
  ];
  if (view.note) lines.push(`Note: ${view.note}`);
  lines.push(
    'Next runs:',
    ...(view.nextRuns.length ? view.nextRuns.map((at) => `  ${at}`) : ['  none']),
  );
  if (view.recentRuns.length) {
    lines.push(
      'Recent runs:',
      ...view.recentRuns.map((run) =>
        run.sprintId
          ? `  ${run.scheduledAt}  sprint ${run.sprintId}`
          : `  ${run.scheduledAt}  ${run.workflowId}`,
      ),
    );
  }
  return lines.join('\n');
}
