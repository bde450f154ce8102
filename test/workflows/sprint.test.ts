import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import {
  progressQuery,
  retryPackageUpdate,
  cancelSprintSignal,
} from '../../src/workflows/messages';
import { failedPackageOf, settledSprintState } from '../../src/workflows/outcomes';
import { packageWorkflowId } from '../../src/domain/ids';
import { fixtureGit } from '../support/git-fixtures';
import {
  pkg,
  runToEnd,
  sprint,
  startHarness,
  startSprint,
  waitFor,
} from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(90_000);

const histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[] = [];

async function keepHistory(harness: Harness, workflowId: string): Promise<void> {
  const history = await harness.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  histories.push({ workflowId, history });
}

async function statusOf(harness: Harness, workflowId: string): Promise<string> {
  return (await harness.temporal.client.workflow.getHandle(workflowId).describe()).status.name;
}

async function filesOn(harness: Harness, branch: string): Promise<string[]> {
  const out = await fixtureGit(harness.sandbox.repo).raw(['ls-tree', '-r', '--name-only', branch]);
  return out.trim().split('\n').sort();
}

describe('sprintWorkflow on a real dev server and real git', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('runs packages in waves; a dependent sees its dependencies’ files; the integration branch holds everything', async () => {
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 2,
      packages: [
        {
          id: 'WP01',
          title: 'Identity',
          run: 'mkdir -p sync && echo uuid > sync/identity.txt && echo "::progress 1/1 identity"',
        },
        {
          id: 'WP02',
          title: 'Emitter',
          dependsOn: ['WP01'],
          run: 'test -f sync/identity.txt && echo emit > sync/emitter.txt',
        },
        {
          id: 'WP03',
          title: 'Auth',
          dependsOn: ['WP01'],
          run: 'echo auth > auth.txt && echo more > auth2.txt',
        },
        {
          id: 'WP04',
          title: 'Runtime',
          dependsOn: ['WP02'],
          run: 'test -f sync/emitter.txt && echo rt > runtime.txt',
        },
      ],
      integration: {
        checks: [
          'test -f sync/identity.txt && test -f sync/emitter.txt && test -f auth.txt && test -f runtime.txt',
        ],
      },
    });
    const { state } = await runToEnd(harness, { spec });
    await keepHistory(harness, spec.id);

    expect(state.status).toBe('completed');
    expect(state.packages.map((wp) => [wp.id, wp.status, wp.wave])).toEqual([
      ['WP01', 'completed', 1],
      ['WP02', 'completed', 2],
      ['WP03', 'completed', 2],
      ['WP04', 'completed', 3],
    ]);
    expect(pkg(state, 'WP03')).toMatchObject({
      filesChanged: 2,
      filesCompleted: 2,
      filesTotal: 2,
      exitCode: 0,
    });
    expect(pkg(state, 'WP01').commit).toMatch(/^[0-9a-f]{40}$/);
    expect(pkg(state, 'WP01').agent).toMatch(/^impl-wp0-\d{6}$/);
    // WP04's branch holds only its own file as its change, though it sees WP01 and WP02's files.
    expect(pkg(state, 'WP04').filesChanged).toBe(1);
    expect(state.integration.merged).toEqual(['WP01', 'WP02', 'WP03', 'WP04']);
    expect(state.integration.conflicts).toEqual([]);
    expect(state.integration.checks).toEqual([
      expect.objectContaining({ passed: true, exitCode: 0 }),
    ]);
    expect(await filesOn(harness, state.integration.branch)).toEqual(
      [
        'README.md',
        'auth.txt',
        'auth2.txt',
        'runtime.txt',
        'shared.txt',
        'sync/emitter.txt',
        'sync/identity.txt',
      ].sort(),
    );
    const log = await fixtureGit(harness.sandbox.repo).raw([
      'log',
      '--format=%s',
      `sprintwave/${spec.id}/WP03`,
    ]);
    expect(log.split('\n').filter((subject) => subject === 'sprintwave: WP03 Auth')).toHaveLength(
      1,
    );
  });

  it('never runs more than `concurrency` packages at once, and eager starts a package as soon as its own dependencies are done', async () => {
    const marks = path.join(harness.sandbox.dir, 'marks-eager');
    const note = (name: string, sleep: number) =>
      `mkdir -p ${marks} && touch ${marks}/${name}.start && sleep ${sleep} && touch ${marks}/${name}.end && echo ${name} > ${name}.txt`;
    const spec = sprint(harness.sandbox.repo, {
      strategy: 'eager',
      concurrency: 2,
      packages: [
        { id: 'A', title: 'slow', run: note('A', 2) },
        { id: 'B', title: 'fast', run: note('B', 0.2) },
        { id: 'C', title: 'after fast', dependsOn: ['B'], run: note('C', 0.2) },
      ],
    });
    const { state } = await runToEnd(harness, { spec });
    await keepHistory(harness, spec.id);
    expect(state.status).toBe('completed');
    const c = pkg(state, 'C');
    const a = pkg(state, 'A');
    // C started while A (same wave as its dependency B) was still running.
    expect(c.startedAt).toBeLessThan(a.finishedAt as number);
  });

  it('a failed package blocks only its dependents; independent packages go on', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Breaks', run: 'echo "about to fail" && echo oops >&2 && exit 3' },
        { id: 'WP02', title: 'Needs WP01', dependsOn: ['WP01'], run: 'echo x > x.txt' },
        { id: 'WP03', title: 'Needs WP02', dependsOn: ['WP02'], run: 'echo y > y.txt' },
        { id: 'WP04', title: 'Independent', run: 'echo z > z.txt' },
      ],
    });
    const { state } = await runToEnd(harness, { spec });
    await keepHistory(harness, spec.id);

    // Failed runs show as Failed in the Web UI; the package's failure carries its tail.
    expect(await statusOf(harness, spec.id)).toBe('FAILED');
    expect(await statusOf(harness, packageWorkflowId(spec.id, 'WP01'))).toBe('FAILED');
    expect(await statusOf(harness, packageWorkflowId(spec.id, 'WP04'))).toBe('COMPLETED');
    const childFailure = await harness.temporal.client.workflow
      .getHandle(packageWorkflowId(spec.id, 'WP01'))
      .result()
      .catch((error: unknown) => error);
    expect(failedPackageOf(childFailure)).toMatchObject({
      exitCode: 3,
      branch: expect.any(String),
    });
    expect(state.status).toBe('failed');
    expect(pkg(state, 'WP01')).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(pkg(state, 'WP01').outputTail).toEqual(
      expect.arrayContaining(['about to fail', 'oops']),
    );
    expect(pkg(state, 'WP02')).toMatchObject({ status: 'blocked', blockedBy: ['WP01'] });
    expect(pkg(state, 'WP03')).toMatchObject({ status: 'blocked', blockedBy: ['WP02'] });
    expect(pkg(state, 'WP02').startedAt).toBeUndefined();
    expect(pkg(state, 'WP04').status).toBe('completed');
    expect(state.integration.merged).toEqual(['WP04']);
    expect(state.reasons).toEqual(expect.arrayContaining([expect.stringContaining('WP01 failed')]));
  });

  it('fails a package that runs past its timeout and kills its processes', async () => {
    const pidFile = path.join(harness.sandbox.dir, 'timeout.pid');
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Hangs', timeout: '1s', run: `sleep 60 & echo $! > ${pidFile}; wait` },
      ],
    });
    const { state } = await runToEnd(harness, { spec });
    await keepHistory(harness, spec.id);
    expect(pkg(state, 'WP01')).toMatchObject({ status: 'failed', error: 'timed out after 1s' });
    expect(state.status).toBe('failed');
  });

  it('cancel stops running executors, keeps the worktrees and ends the sprint cancelled', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Long', run: 'echo started > started.txt && sleep 60' },
        { id: 'WP02', title: 'Later', dependsOn: ['WP01'], run: 'true' },
      ],
    });
    const worker = await harness.worker();
    const cancelled = await worker.runUntil(async () => {
      const handle = await startSprint(harness, { spec });
      const running = await waitFor(
        () => handle.query(progressQuery),
        (s) => pkg(s, 'WP01').worktree !== undefined,
        'WP01 to have a worktree',
      );
      await waitFor(
        async () => running,
        () => existsSync(path.join(pkg(running, 'WP01').worktree as string, 'started.txt')),
        'WP01 to start its command',
      );
      // As `sprintwave cancel` does: the signal says why, the request makes the run Cancelled.
      await handle.signal(cancelSprintSignal, 'test');
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      return handle;
    });
    // No worker is left to answer a query: the final state comes from the run's memo.
    const state = await settledSprintState(cancelled);
    await keepHistory(harness, spec.id);
    expect(await statusOf(harness, spec.id)).toBe('CANCELLED');
    expect(state.status).toBe('cancelled');
    expect(pkg(state, 'WP01').status).toBe('cancelled');
    expect(pkg(state, 'WP02').status).toBe('cancelled');
    expect(existsSync(path.join(pkg(state, 'WP01').worktree as string, 'started.txt'))).toBe(true);
  });

  it('retries a failed package of a running sprint; its blocked dependents then run', async () => {
    const fixed = path.join(harness.sandbox.dir, 'fixed-running');
    const release = path.join(harness.sandbox.dir, 'release-running');
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 3,
      strategy: 'eager',
      packages: [
        { id: 'WP01', title: 'Flaky', run: `test -f ${fixed} && echo ok > ok.txt` },
        {
          id: 'WP02',
          title: 'Dependent',
          dependsOn: ['WP01'],
          run: 'test -f ok.txt && echo dep > dep.txt',
        },
        {
          id: 'WP03',
          title: 'Keeps the sprint open',
          run: `while [ ! -f ${release} ]; do sleep 0.1; done; echo r > r.txt`,
        },
      ],
    });
    const worker = await harness.worker();
    const state = await worker.runUntil(async () => {
      const handle = await startSprint(harness, { spec });
      await waitFor(
        () => handle.query(progressQuery),
        (s) => pkg(s, 'WP02').status === 'blocked',
        'WP02 blocked',
      );
      const refused = await handle
        .executeUpdate(retryPackageUpdate, { args: ['WP03'] })
        .catch((e: Error) => e);
      expect((refused as Error).cause).toEqual(
        expect.objectContaining({ message: expect.stringMatching(/WP03 is in_progress/) }),
      );
      await writeFile(fixed, '');
      const after = await handle.executeUpdate(retryPackageUpdate, { args: ['WP01'] });
      expect(pkg(after, 'WP01')).toMatchObject({ attempt: 2 });
      expect(pkg(after, 'WP02').status).toBe('pending');
      await waitFor(
        () => handle.query(progressQuery),
        (s) => pkg(s, 'WP02').status === 'completed',
        'WP02 completed',
      );
      await writeFile(release, '');
      return handle.result();
    });
    await keepHistory(harness, spec.id);
    expect(state.status).toBe('completed');
    expect(pkg(state, 'WP01')).toMatchObject({ status: 'completed', attempt: 2 });
    expect(state.integration.merged).toEqual(['WP01', 'WP03', 'WP02']);
  });

  it('retries a package of a sprint that already ended, keeping the work that completed', async () => {
    const fixed = path.join(harness.sandbox.dir, 'fixed-ended');
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Needs a fix', run: `test -f ${fixed} && echo ok > fixed.txt` },
        { id: 'WP02', title: 'Dependent', dependsOn: ['WP01'], run: 'echo d > d.txt' },
        { id: 'WP03', title: 'Fine', run: 'echo fine > fine.txt' },
      ],
    });
    const first = await runToEnd(harness, { spec });
    await keepHistory(harness, spec.id);
    expect(first.state.status).toBe('failed');
    expect(await statusOf(harness, spec.id)).toBe('FAILED');
    await writeFile(fixed, '');
    const second = await runToEnd(harness, { spec, resume: first.state, retry: ['WP01'] });
    await keepHistory(harness, spec.id);
    expect(await statusOf(harness, spec.id)).toBe('COMPLETED');
    expect(second.state.status).toBe('completed');
    expect(pkg(second.state, 'WP01')).toMatchObject({ status: 'completed', attempt: 2 });
    expect(pkg(second.state, 'WP03').commit).toBe(pkg(first.state, 'WP03').commit);
    expect(await filesOn(harness, second.state.integration.branch)).toEqual(
      expect.arrayContaining(['fixed.txt', 'd.txt', 'fine.txt']),
    );
  });

  it('reports a merge conflict with its package and files, and never resolves it', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'One', run: 'echo value=1 > shared.txt' },
        { id: 'WP02', title: 'Two', run: 'echo value=2 > shared.txt && echo own > own.txt' },
      ],
    });
    const { state } = await runToEnd(harness, { spec });
    await keepHistory(harness, spec.id);
    expect(state.status).toBe('failed');
    expect(state.integration.merged).toEqual(['WP01']);
    expect(state.integration.conflicts).toEqual([
      { wpId: 'WP02', branch: `sprintwave/${spec.id}/WP02`, files: ['shared.txt'] },
    ]);
    const merged = await fixtureGit(harness.sandbox.repo).raw([
      'show',
      `${state.integration.branch}:shared.txt`,
    ]);
    expect(merged).toBe('value=1\n');
    expect(state.reasons.join('\n')).toContain(
      'WP02 conflicts with the integration branch in shared.txt',
    );
  });

  it('reports a branch left by an earlier sprint with the same id instead of reusing it', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'Once', run: 'echo 1 > once.txt' }],
    });
    const first = await runToEnd(harness, { spec });
    await keepHistory(harness, spec.id);
    expect(first.state.status).toBe('completed');
    const again = await runToEnd(harness, { spec });
    expect(again.state.status).toBe('failed');
    expect(pkg(again.state, 'WP01').error).toMatch(/earlier sprint/);
  });

  it('replays every recorded history without non-determinism', async () => {
    expect(histories.length).toBeGreaterThanOrEqual(9);
    const codePath = process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string;
    const results = Worker.runReplayHistories({ workflowBundle: { codePath } }, histories);
    let count = 0;
    for await (const result of results) {
      expect(result.error).toBeUndefined();
      count++;
    }
    expect(count).toBe(histories.length);
  });
});
