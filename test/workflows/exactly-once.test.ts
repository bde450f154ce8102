import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { temporal } from '@temporalio/proto';
import { packageWorkflowId } from '../../src/domain/ids';
import { freePort } from '../../src/runtime/dev-server';
import { groupAlive } from '../../src/runtime/process-group';
import { progressQuery } from '../../src/workflows/messages';
import { appendingCommand, overlaps, readLedger } from '../support/appending-command';
import { collect, runCli, spawnCli } from '../support/cli';
import { fixtureGit } from '../support/git-fixtures';
import { pkg, runToEnd, sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress, uniqueId } from '../support/temporal';

jest.setTimeout(180_000);

const STEPS = 30;
const ALL_LINES = Array.from({ length: STEPS }, (_, i) => `line ${i}`).join('\n') + '\n';

async function until(test: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Whether the command's group went away, and was stopped rather than finished: it logs no end.
 * Waits 20 s at most, a bound for a loaded machine; what it checks is the missing end.
 */
async function stoppedMidway(pgid: number, ledger: string): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(20);
  const ended = readLedger(ledger).some((e) => e.pid === pgid && e.what === 'end');
  return !groupAlive(pgid) && !ended;
}

/** Each retry of an activity of the workflow, with why its attempt before it failed. */
async function retriedActivities(harness: Harness, workflowId: string) {
  const { events } = await harness.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? [])
    .map((event) => event.activityTaskStartedEventAttributes)
    .filter((started) => (started?.attempt ?? 1) > 1)
    .map((started) => started?.lastFailure?.timeoutFailureInfo?.timeoutType);
}

/**
 * The package's branch holds exactly one attempt's work, and the earlier attempt's work is kept
 * under its ref; the ledger shows two starts that never overlapped.
 */
async function expectOneAttemptOnTheBranch(repo: string, sprintId: string, ledger: string) {
  const git = fixtureGit(repo);
  const branch = `sprintwave/${sprintId}/WP01`;
  expect(await git.raw(['show', `${branch}:work.txt`])).toBe(ALL_LINES);
  const subjects = (await git.raw(['log', '--format=%s', `main..${branch}`])).trim().split('\n');
  expect(subjects.filter((s) => s === 'first third')).toHaveLength(1);
  const kept = `refs/sprintwave/${sprintId}/WP01/attempt-1`;
  const earlier = await git.raw(['show', `${kept}:work.txt`]);
  expect(earlier.length).toBeGreaterThan(0);
  expect(ALL_LINES.startsWith(earlier)).toBe(true); // cut short, never doubled
  const entries = readLedger(ledger);
  expect(entries.filter((e) => e.what === 'start')).toHaveLength(2);
  expect(overlaps(entries)).toEqual([]);
}

describe('a package whose worker is killed mid-command', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  function startWorker(): { child: ChildProcess; done: Promise<unknown> } {
    const child = spawnCli(['worker'], {
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_TASK_QUEUE: harness.taskQueue,
      SPRINTWAVE_HOME: harness.config.home,
    });
    return { child, done: collect(child) };
  }

  /** A one-package sprint of the appending command, half-way through on a worker process. */
  async function halfWayOnAWorker(name: string) {
    const ledger = path.join(harness.sandbox.dir, `${name}.ledger`);
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'Appends', run: appendingCommand(ledger, STEPS) }],
    });
    const first = startWorker();
    // The default heartbeat timeout: how fast a lost worker is noticed is part of the test.
    const handle = await startSprint(harness, { spec, options: {} });
    await until(() => readLedger(ledger).length > STEPS / 2, 'the command half-way');
    const pgid = readLedger(ledger)[0]?.pid ?? 0;
    return { ledger, spec, first, handle, pgid };
  }

  it('kill -9 of the worker: the command is stopped, and the retry starts clean on another worker', async () => {
    const { ledger, spec, first, handle, pgid } = await halfWayOnAWorker('worker-killed');
    first.child.kill('SIGKILL');
    await first.done;
    expect(await stoppedMidway(pgid, ledger)).toBe(true);

    const second = startWorker();
    try {
      await until(() => readLedger(ledger).filter((e) => e.what === 'start').length > 1, 'a retry');
      const state = await handle.result();
      expect(state.status).toBe('completed');
      // Noticed by its heartbeat, not by the attempt's whole start-to-close timeout.
      expect(await retriedActivities(harness, packageWorkflowId(spec.id, 'WP01'))).toEqual([
        temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      ]);
      expect(state.packages[0]?.keptAttempts).toEqual([
        `refs/sprintwave/${spec.id}/WP01/attempt-1`,
      ]);
      await expectOneAttemptOnTheBranch(harness.sandbox.repo, spec.id, ledger);
      const live = await handle.query(progressQuery);
      expect(live.packages[0]?.attempt).toBe(1); // the same package attempt: retried by Temporal
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
    }
  });

  it('SIGTERM of `sprintwave worker`: it stops its command before it exits, and the next attempt starts clean', async () => {
    const { ledger, spec, first, handle, pgid } = await halfWayOnAWorker('worker-stopped');
    first.child.kill('SIGTERM');
    const stopped = (await first.done) as { code: number | null };
    expect(stopped.code).toBe(0);
    expect(groupAlive(pgid)).toBe(false); // stopped before the worker exited

    const second = startWorker();
    try {
      expect((await handle.result()).status).toBe('completed');
      await expectOneAttemptOnTheBranch(harness.sandbox.repo, spec.id, ledger);
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
    }
  });
});

describe('sprintwave retry of a failed package', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  const GIT = 'git -c user.name=agent -c user.email=agent@example.test';

  async function failThenRetry(retry: 'clean' | 'resume') {
    const fixed = path.join(harness.sandbox.dir, `fixed-${retry}`);
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        {
          id: 'WP01',
          title: 'Fails once',
          retry,
          run: `echo try >> tries.txt && ${GIT} add -A && ${GIT} commit -qm try && echo more >> tries.txt && test -f ${fixed}`,
        },
      ],
    });
    const first = await runToEnd(harness, { spec });
    expect(first.state.status).toBe('failed');
    await writeFile(fixed, '');
    const second = await runToEnd(harness, { spec, resume: first.state, retry: ['WP01'] });
    expect(second.state.status).toBe('completed');
    const git = fixtureGit(harness.sandbox.repo);
    const branch = pkg(second.state, 'WP01').branch;
    return { spec, second, git, tries: await git.raw(['show', `${branch}:tries.txt`]) };
  }

  it('starts the new attempt from the clean base and keeps the failed one under its ref', async () => {
    const { spec, second, git, tries } = await failThenRetry('clean');
    expect(tries).toBe('try\nmore\n');
    const kept = `refs/sprintwave/${spec.id}/WP01/attempt-1`;
    expect(pkg(second.state, 'WP01').keptAttempts).toEqual([kept]);
    expect(await git.raw(['show', `${kept}:tries.txt`])).toBe('try\nmore\n');
  });

  it('with retry: resume, goes on from what the failed attempt left', async () => {
    const { second, tries } = await failThenRetry('resume');
    expect(tries).toBe('try\nmore\ntry\nmore\n');
    expect(pkg(second.state, 'WP01').keptAttempts).toBeUndefined();
  });
});

describe('sprintwave run interrupted mid-command, then run again', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  async function setUp(name: string) {
    const id = uniqueId(name);
    const ledger = path.join(harness.sandbox.dir, `${id}.ledger`);
    const file = path.join(harness.sandbox.dir, `${id}.yaml`);
    const spec = {
      id,
      repo: harness.sandbox.repo,
      packages: [{ id: 'WP01', title: 'Appends', run: appendingCommand(ledger, STEPS) }],
    };
    await writeFile(file, JSON.stringify(spec));
    const env = {
      SPRINTWAVE_HOME: path.join(harness.sandbox.dir, `home-${id}`),
      SPRINTWAVE_TEMPORAL_PORT: String(await freePort()),
      SPRINTWAVE_UI_PORT: String(await freePort()),
    };
    return { id, ledger, file, env };
  }

  async function interrupt(signal: NodeJS.Signals, name: string) {
    const { id, ledger, file, env } = await setUp(name);
    const first = spawnCli(['run', file], env);
    const firstDone = collect(first);
    await until(() => readLedger(ledger).length > STEPS / 2, 'the command half-way');
    const pgid = readLedger(ledger)[0]?.pid ?? 0;
    // As a terminal does: to the whole foreground process group.
    process.kill(-(first.pid as number), signal);
    const firstRun = await firstDone;
    expect(await stoppedMidway(pgid, ledger)).toBe(true);

    const second = await runCli(['run', file], env);
    expect(second.stderr).not.toContain('Failed to get Workflow execution history');
    expect(second.code).toBe(0);
    await expectOneAttemptOnTheBranch(harness.sandbox.repo, id, ledger);
    const status = await runCli(['status', id], env);
    // The whole answer, so that a failure shows what status said on stderr too.
    expect(status).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`WP01: refs/sprintwave/${id}/WP01/attempt-1`),
    });
    return firstRun;
  }

  it('Ctrl-C: the command stops with `run`, and the second run redoes the package from its clean base', async () => {
    const first = await interrupt('SIGINT', 'ctrl-c');
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('run the same command again to attach');
  });

  it('kill -9: the command and the dev server stop with `run`, and the second run finishes the sprint', async () => {
    const first = await interrupt('SIGKILL', 'kill-9');
    expect(first.code).toBeNull();
  });
});
