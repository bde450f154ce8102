import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection, WorkflowNotFoundError } from '@temporalio/client';
import type {
  WorkflowHandle,
  WorkflowHandleWithFirstExecutionRunId,
  Client,
} from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  getSchedule,
  triggerSchedule,
} from '../../src/service/schedules';
import { packageWorkflowId } from '../../src/domain/ids';
import type { SprintProgress } from '../../src/domain/progress';
import type { SprintSpec } from '../../src/domain/spec';
import { loadConfig } from '../../src/runtime/config';
import type { Config } from '../../src/runtime/config';
import { startDevServer } from '../../src/runtime/dev-server';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { createSprintWorker } from '../../src/runtime/worker';
import { checkSchedule } from '../../src/schemas/schedule';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { sprintWorkflow, standupWorkflow } from '../../src/workflows';
import {
  cancelSprintSignal,
  completePackageUpdate,
  progressQuery,
  reportProgressUpdate,
  retryPackageUpdate,
} from '../../src/workflows/messages';
import {
  eventsOutboxWorkflowId,
  outboxWorkflowId,
  pullRequestOutboxId,
} from '../../src/domain/ids';
import type { SprintWorkflowInput, workPackageWorkflow } from '../../src/workflows';
import { settledSprintState } from '../../src/workflows/outcomes';
import { startEventReceiver } from './event-receiver';
import type { EventReceiver } from './event-receiver';
import { makeSandbox } from './git-fixtures';
import type { Sandbox } from './git-fixtures';
import { addBareRemote, remoteTip } from './git-remote';
import { HISTORIES_DIR, fixtureFile } from './history-fixtures';
import type { HistoryFixture, Scenario } from './history-fixtures';
import { testClient } from './temporal';

/**
 * `npm run record-histories`: runs the representative sprints on a fresh Temporal dev server
 * with a real repository and the local GitHub, and writes every workflow run they made to
 * test/fixtures/histories/v<package.json version>/, which test/workflows/replay.test.ts replays,
 * with every earlier version's folder, against the current workflow code. Record once per
 * released version; an existing version's histories are replaced only with `--force`.
 */

type History = temporal.api.history.v1.IHistory;

interface Recorder {
  client: Client;
  config: Readonly<Config>;
  sandbox: Sandbox;
  dir: string;
  github: LocalGithub;
  receiver: EventReceiver;
  /** The bare repository the delivery scenario pushes to, once it exists. */
  remote: { bare?: string };
}

/** A workflow run to record; the runs it continued as new into are followed. */
interface RunRef {
  workflowId: string;
  runId?: string;
  /** Recorded only if it ran (an outbox starts only when something was left to deliver). */
  optional?: boolean;
}

const OPTIONS = { heartbeatTimeoutMs: 5_000 };

function spec(recorder: Recorder, raw: Record<string, unknown>): SprintSpec {
  const checked = checkSprintSpec({ repo: recorder.sandbox.repo, ...raw });
  if (!checked.ok) throw new Error(`bad scenario sprint: ${JSON.stringify(checked.problems)}`);
  return checked.spec;
}

function start(
  recorder: Recorder,
  input: SprintWorkflowInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof sprintWorkflow>> {
  return recorder.client.workflow.start(sprintWorkflow, {
    workflowId: input.spec.id,
    taskQueue: recorder.config.temporal.taskQueue,
    args: [{ ...input, options: { ...OPTIONS, ...input.options } }],
  });
}

/** The sprint and one child per package that started. */
function sprintRuns(sprint: SprintSpec, runId?: string): RunRef[] {
  return [
    { workflowId: sprint.id, runId },
    ...sprint.packages.map((wp) => ({ workflowId: packageWorkflowId(sprint.id, wp.id) })),
  ];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const packageIs = (state: SprintProgress, id: string, status: string) =>
  state.packages.find((wp) => wp.id === id)?.status === status;

async function untilPackage(
  handle: WorkflowHandle<typeof sprintWorkflow>,
  id: string,
  status: string,
) {
  return waitFor(`${id} to be ${status}`, async () => {
    const state = await handle.query(progressQuery);
    return packageIs(state, id, status) ? state : undefined;
  });
}

async function expectStatus(handle: WorkflowHandle<typeof sprintWorkflow>, status: string) {
  const state = await settledSprintState(handle);
  if (state.status !== status) {
    throw new Error(
      `${handle.workflowId} ended ${state.status}, not ${status}: ${state.reasons.join('; ')}`,
    );
  }
  return state;
}

const scenarios: Record<Scenario, (recorder: Recorder) => Promise<RunRef[]>> = {
  /** A diamond in three waves, progress lines, an integration check. */
  async waves(recorder) {
    const sprint = spec(recorder, {
      id: 'replay-waves',
      packages: [
        { id: 'WP01', title: 'Base', run: 'echo one > one.txt' },
        {
          id: 'WP02',
          title: 'Left',
          dependsOn: ['WP01'],
          run: 'echo "::progress 1/1"; echo two > two.txt',
        },
        { id: 'WP03', title: 'Right', dependsOn: ['WP01'], run: 'echo three > three.txt' },
        {
          id: 'WP04',
          title: 'Join',
          dependsOn: ['WP02', 'WP03'],
          run: 'cat one.txt two.txt three.txt > all.txt',
        },
      ],
      integration: { checks: ['test -f all.txt'] },
    });
    await expectStatus(await start(recorder, { spec: sprint }), 'completed');
    return sprintRuns(sprint);
  },

  /** Each package as soon as its own dependencies are done, two at a time. */
  async eager(recorder) {
    const sprint = spec(recorder, {
      id: 'replay-eager',
      strategy: 'eager',
      concurrency: 2,
      packages: [
        { id: 'WP01', title: 'Slow', run: 'sleep 1; echo a > a.txt' },
        { id: 'WP02', title: 'Quick', run: 'echo b > b.txt' },
        { id: 'WP03', title: 'After quick', dependsOn: ['WP02'], run: 'echo c > c.txt' },
      ],
    });
    await expectStatus(await start(recorder, { spec: sprint }), 'completed');
    return sprintRuns(sprint);
  },

  /** Each package's worktree work sent to the task queue of the worker that holds it. */
  async routed(recorder) {
    const sprint = spec(recorder, {
      id: 'replay-routed',
      packages: [
        { id: 'WP01', title: 'One', run: 'echo one > one.txt' },
        { id: 'WP02', title: 'Two', dependsOn: ['WP01'], run: 'echo two > two.txt' },
      ],
      integration: { checks: ['test -f two.txt'] },
    });
    const handle = await start(recorder, { spec: sprint, options: { routeToHost: true } });
    await expectStatus(handle, 'completed');
    return sprintRuns(sprint);
  },

  /** A sprint past its history limit hands over to a new run and goes on there. */
  async 'continue-as-new'(recorder) {
    const sprint = spec(recorder, {
      id: 'replay-continued',
      concurrency: 1,
      packages: ['WP01', 'WP02', 'WP03', 'WP04'].map((id, i) => ({
        id,
        title: `Step ${i + 1}`,
        run: `echo ${id} > ${id}.txt`,
      })),
    });
    const handle = await start(recorder, { spec: sprint, options: { continueAsNewAtEvents: 30 } });
    await expectStatus(handle, 'completed');
    const latest = await recorder.client.workflow.getHandle(sprint.id).describe();
    if (latest.runId === handle.firstExecutionRunId)
      throw new Error('the sprint did not continue as new');
    return sprintRuns(sprint, handle.firstExecutionRunId);
  },

  /** A package fails, is retried by update while the sprint runs, then completes. */
  async 'failure-retry'(recorder) {
    const fixed = path.join(recorder.dir, 'retry-fixed');
    const release = path.join(recorder.dir, 'retry-release');
    const sprint = spec(recorder, {
      id: 'replay-retry',
      packages: [
        { id: 'WP01', title: 'Flaky', run: `test -f ${fixed} && echo fixed > fixed.txt` },
        {
          id: 'WP02',
          title: 'Holds the sprint open',
          run: `while [ ! -f ${release} ]; do sleep 0.1; done; echo b > b.txt`,
        },
        { id: 'WP03', title: 'Needs the flaky one', dependsOn: ['WP01'], run: 'echo c > c.txt' },
      ],
    });
    const handle = await start(recorder, { spec: sprint });
    await untilPackage(handle, 'WP01', 'failed');
    await writeFile(fixed, '');
    await handle.executeUpdate(retryPackageUpdate, { args: ['WP01'] });
    await untilPackage(handle, 'WP01', 'completed');
    await writeFile(release, '');
    await expectStatus(handle, 'completed');
    return sprintRuns(sprint);
  },

  /** A sprint that failed, run again from its final state with the failed package retried. */
  async resume(recorder) {
    const fixed = path.join(recorder.dir, 'resume-fixed');
    const sprint = spec(recorder, {
      id: 'replay-resume',
      packages: [
        { id: 'WP01', title: 'Flaky', run: `test -f ${fixed} && echo a > a.txt` },
        { id: 'WP02', title: 'After it', dependsOn: ['WP01'], run: 'echo b > b.txt' },
      ],
    });
    const first = await start(recorder, { spec: sprint });
    const failed = await expectStatus(first, 'failed');
    await writeFile(fixed, '');
    await expectStatus(
      await start(recorder, { spec: sprint, resume: failed, retry: ['WP01'] }),
      'completed',
    );
    return [{ workflowId: sprint.id, runId: first.firstExecutionRunId }, ...sprintRuns(sprint)];
  },

  /** An external package reports progress and completes over updates. */
  async external(recorder) {
    const sprint = spec(recorder, {
      id: 'replay-external',
      packages: [
        { id: 'WP01', title: 'By an agent', external: true },
        {
          id: 'WP02',
          title: 'After the agent',
          dependsOn: ['WP01'],
          run: 'cat agent.txt > seen.txt',
        },
      ],
    });
    const handle = await start(recorder, { spec: sprint });
    const ready = await waitFor('WP01 worktree', async () => {
      const state = await handle.query(progressQuery);
      return state.packages.find((wp) => wp.id === 'WP01' && wp.worktree);
    });
    await writeFile(path.join(ready.worktree as string, 'agent.txt'), 'by the agent\n');
    const child = recorder.client.workflow.getHandle<typeof workPackageWorkflow>(
      packageWorkflowId(sprint.id, 'WP01'),
    );
    await waitFor('the progress report to be taken', () =>
      child.executeUpdate(reportProgressUpdate, {
        args: [{ attempt: 1, filesCompleted: 1, filesTotal: 1, note: 'written' }],
      }),
    );
    await child.executeUpdate(completePackageUpdate, { args: [{ attempt: 1, summary: 'done' }] });
    await expectStatus(handle, 'completed');
    return sprintRuns(sprint);
  },

  /** Cancelled while a package runs: its executor is stopped, its dependent never starts. */
  async cancel(recorder) {
    const sprint = spec(recorder, {
      id: 'replay-cancel',
      packages: [
        { id: 'WP01', title: 'Long', run: 'sleep 60' },
        { id: 'WP02', title: 'Never starts', dependsOn: ['WP01'], run: 'true' },
      ],
    });
    const handle = await start(recorder, { spec: sprint });
    await untilPackage(handle, 'WP01', 'in_progress');
    await handle.signal(cancelSprintSignal, 'cancelled while recording');
    await expectStatus(handle, 'cancelled');
    return sprintRuns(sprint).filter((run) => !run.workflowId.endsWith('/WP02'));
  },

  /** GitHub and the sync backend are down for the whole sprint: it ends on time, its outboxes deliver later. */
  async 'github-outbox'(recorder) {
    const { github, receiver, client } = recorder;
    const issue = github.createIssue('acme', 'widgets', 'Recorded sprint');
    const sprint = spec(recorder, {
      id: 'replay-outbox',
      packages: [
        {
          id: 'WP01',
          title: 'One',
          run: 'echo "::progress 1/2"; echo one > one.txt; echo "::progress 2/2"',
          points: 2,
        },
        { id: 'WP02', title: 'Two', dependsOn: ['WP01'], run: 'echo two > two.txt', points: 3 },
      ],
      github: { repo: 'acme/widgets', issue, minInterval: '200ms' },
    });
    github.down();
    receiver.failNext(Number.MAX_SAFE_INTEGER);
    const handle = await start(recorder, { spec: sprint });
    await expectStatus(handle, 'completed');
    github.up();
    receiver.failNext(0);
    const events = eventsOutboxWorkflowId(sprint.id, handle.firstExecutionRunId);
    await client.workflow.getHandle(outboxWorkflowId(sprint.id)).result();
    await client.workflow.getHandle(events).result();
    return [
      ...sprintRuns(sprint),
      { workflowId: outboxWorkflowId(sprint.id) },
      { workflowId: events },
    ];
  },

  /** Push and pull request: the branches reach the remote, the pull request waits for GitHub. */
  async delivery(recorder) {
    const { github, sandbox, client } = recorder;
    recorder.remote.bare = await addBareRemote(sandbox);
    await sandbox.git.raw(['push', 'origin', 'main']);
    const issue = github.createIssue('acme', 'widgets', 'Delivered sprint');
    const sprint = spec(recorder, {
      id: 'replay-delivery',
      title: 'Delivered',
      packages: [
        { id: 'WP01', title: 'One', run: 'echo one > one.txt' },
        { id: 'WP02', title: 'Two', dependsOn: ['WP01'], run: 'echo two > two.txt' },
      ],
      integration: { push: true, pushPackages: true, checks: ['test -f one.txt'] },
      github: { repo: 'acme/widgets', issue, minInterval: '200ms', pullRequest: true },
    });
    github.down();
    await expectStatus(await start(recorder, { spec: sprint }), 'completed');
    github.up();
    await client.workflow.getHandle(pullRequestOutboxId(sprint.id)).result();
    await client.workflow.getHandle(outboxWorkflowId(sprint.id)).result();
    if (github.pulls('acme', 'widgets').length !== 1) throw new Error('no pull request opened');
    return [
      ...sprintRuns(sprint),
      { workflowId: pullRequestOutboxId(sprint.id) },
      { workflowId: outboxWorkflowId(sprint.id) },
    ];
  },

  /** A schedule's run: the launcher and the sprint it starts under the scheduled time. */
  async scheduled(recorder) {
    const { client, config } = recorder;
    const checked = checkSchedule({
      id: 'replay-nightly',
      cron: '0 2 * * 1-5',
      sprint: {
        id: 'nightly',
        repo: recorder.sandbox.repo,
        packages: [
          { id: 'WP01', title: 'Write a file', run: 'echo one > nightly.txt' },
          {
            id: 'WP02',
            title: 'Write another',
            dependsOn: ['WP01'],
            run: 'echo two > nightly-2.txt',
          },
        ],
      },
    });
    if (!checked.ok) throw new Error(`bad schedule: ${JSON.stringify(checked.problems)}`);
    await createSchedule(client, config, checked.request);
    try {
      await triggerSchedule(client, 'replay-nightly');
      const run = await waitFor('the scheduled run', async () => {
        return (await describeSchedule(await getSchedule(client, 'replay-nightly'))).recentRuns[0];
      });
      const state = (await client.workflow.getHandle(run.workflowId).result()) as SprintProgress;
      return [
        { workflowId: run.workflowId },
        { workflowId: state.id },
        ...state.packages.map((wp) => ({ workflowId: packageWorkflowId(state.id, wp.id) })),
      ];
    } finally {
      await deleteSchedule(client, 'replay-nightly');
    }
  },

  /** The stand-up of the GitHub sprint, posted as that day's comment. */
  async standup(recorder) {
    const workflowId = 'replay-standup';
    const result = await recorder.client.workflow.execute(standupWorkflow, {
      workflowId,
      taskQueue: recorder.config.temporal.taskQueue,
      args: [{ sprintId: 'replay-outbox' }],
    });
    if (!result.commentUrl) throw new Error('the stand-up was not posted');
    return [{ workflowId }];
  },
};

/** Every run from `ref` on, following continue-as-new. */
async function record(client: Client, scenario: Scenario, ref: RunRef): Promise<HistoryFixture[]> {
  const handle = client.workflow.getHandle(ref.workflowId, ref.runId);
  const description = await handle.describe().catch((error: unknown) => {
    if (ref.optional && error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  });
  if (!description) return [];
  if (description.status.name === 'RUNNING') throw new Error(`${ref.workflowId} is still running`);
  const history: History = await handle.fetchHistory();
  const fixture: HistoryFixture = {
    scenario,
    workflowId: ref.workflowId,
    run: 1,
    runId: description.runId,
    workflowType: description.type,
    // The History message's own JSON (protobufjs toJSON): the replay test reads it back with History.fromObject.
    history: JSON.parse(JSON.stringify(history)) as HistoryFixture['history'],
  };
  const last = history.events?.at(-1);
  const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  return next
    ? [fixture, ...(await record(client, scenario, { workflowId: ref.workflowId, runId: next }))]
    : [fixture];
}

/** test/fixtures/histories/v<version>: the histories of the version being released. */
async function versionDir(): Promise<string> {
  const manifest = path.resolve(__dirname, '..', '..', 'package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  return path.join(HISTORIES_DIR, `v${version}`);
}

/**
 * A released version's histories are what its running workflows did: recording again would
 * quietly replace them with what the current code does, so that takes `--force`.
 */
async function refuseToOverwrite(dir: string, force: boolean): Promise<void> {
  const existing = await readdir(dir).catch(() => []);
  if (existing.length && !force) {
    throw new Error(
      `${path.relative(process.cwd(), dir)}/ already holds recorded histories; ` +
        'bump the version in package.json, or pass --force to record them again',
    );
  }
}

/** Replaces the folder only once the new histories are in hand: a failed recording keeps the old. */
async function writeFixtures(dir: string, fixtures: HistoryFixture[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const fixture of fixtures) {
    const file = path.join(dir, fixtureFile(fixture));
    await mkdir(path.dirname(file), { recursive: true });
    // 'wx': two runs of one scenario never silently overwrite each other's history.
    await writeFile(file, `${JSON.stringify(fixture)}\n`, { flag: 'wx' });
  }
}

async function main(): Promise<void> {
  const target = await versionDir();
  await refuseToOverwrite(target, process.argv.includes('--force'));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-record-'));
  const remote: Recorder['remote'] = {};
  // Like GitHub, a pull request needs its branches on the remote.
  const github = await startLocalGithub({
    token: 'recording-token',
    hasBranch: async (_owner, _repo, branch) =>
      !remote.bare || (await remoteTip(remote.bare, branch)) !== undefined,
  });
  const receiver = await startEventReceiver('recording-sync-token');
  const server = await startDevServer({ uiPort: false, logFile: path.join(dir, 'temporal.log') });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  try {
    const client = testClient(connection);
    const sandbox = await makeSandbox();
    const config = loadConfig({
      SPRINTWAVE_HOME: path.join(dir, 'home'),
      TEMPORAL_TASK_QUEUE: 'record-histories',
      GITHUB_TOKEN: 'recording-token',
      GITHUB_API_URL: github.url,
      SPRINTWAVE_EVENTS_URL: receiver.url,
      SPRINTWAVE_SYNC_TOKEN: 'recording-sync-token',
    });
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      logger: new DefaultLogger('ERROR'),
    });
    const worker = await createSprintWorker({
      connection: native,
      client,
      config,
      workflowBundle: { code },
    });
    const recorder: Recorder = { client, config, sandbox, dir, github, receiver, remote };
    const fixtures = await worker.runUntil(async () => {
      const recorded: HistoryFixture[] = [];
      for (const [scenario, run] of Object.entries(scenarios) as [
        Scenario,
        (r: Recorder) => Promise<RunRef[]>,
      ][]) {
        const started = Date.now();
        const refs = await run(recorder);
        const runs: HistoryFixture[] = [];
        for (const ref of refs) runs.push(...(await record(client, scenario, ref)));
        for (const fixture of runs) {
          fixture.run =
            runs.filter((other) => other.workflowId === fixture.workflowId).indexOf(fixture) + 1;
        }
        recorded.push(...runs);
        console.log(`${scenario}: ${runs.length} workflow runs (${Date.now() - started} ms)`);
      }
      return recorded;
    });
    await writeFixtures(target, fixtures);
    console.log(`${fixtures.length} histories written to ${path.relative(process.cwd(), target)}/`);
    await sandbox.cleanup();
  } finally {
    await connection.close();
    await native.close();
    await server.stop();
    await github.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
