import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { superviseWorker } from '../../bench/chaos-lab';
import type { WorkerSupervisor } from '../../bench/chaos-lab';
import { CHAOS_BUNDLE_ENV } from '../../bench/chaos-worker';
import { fixtureGit } from '../support/git-fixtures';
import { sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress } from '../support/temporal';

jest.setTimeout(90_000);

/** Long enough for a lost merge to show: a merge without heartbeats is retried after 30 minutes. */
const RECOVERY_BUDGET_MS = 45_000;

/**
 * A `git` ahead of the real one on the worker's PATH: it announces the first merge commit the
 * integration makes (`git commit-tree`) in `marker` and holds it a second. Returns the PATH.
 */
async function slowFirstMerge(dir: string, marker: string): Promise<string> {
  const git = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const script = [
    '#!/bin/sh',
    'case " $* " in',
    `  *" commit-tree "*"sprintwave: merge "*) [ -e '${marker}' ] || { touch '${marker}'; sleep 1; } ;;`,
    'esac',
    `exec '${git}' "$@"`,
    '',
  ].join('\n');
  await writeFile(path.join(bin, 'git'), script);
  await chmod(path.join(bin, 'git'), 0o755);
  return `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await stat(file).catch(() => undefined))) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The promise's value, or 'stalled' when it takes longer than `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | 'stalled'> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(resolve, ms, 'stalled')));
  try {
    return await Promise.race([promise, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a worker process killed during the integration merge', () => {
  let harness: Harness;
  let logs: string;
  let worker: WorkerSupervisor | undefined;

  beforeAll(async () => {
    harness = await startHarness();
    logs = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-merge-crash-'));
  });

  afterAll(async () => {
    await worker?.stop();
    await harness.close();
    await rm(logs, { recursive: true, force: true });
  });

  it('is noticed by heartbeat: a new worker merges every branch within seconds', async () => {
    const marker = path.join(logs, 'merge-started');
    const PATH = await slowFirstMerge(logs, marker);
    worker = superviseWorker(
      {
        ...process.env,
        PATH,
        TEMPORAL_ADDRESS: testAddress(),
        TEMPORAL_TASK_QUEUE: harness.taskQueue,
        SPRINTWAVE_HOME: harness.config.home,
        [CHAOS_BUNDLE_ENV]: process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE,
      },
      path.join(logs, 'worker.log'),
    );
    await worker.ready();
    const ids = ['WP01', 'WP02', 'WP03', 'WP04'];
    const spec = sprint(harness.sandbox.repo, {
      packages: ids.map((id) => ({ id, title: `Package ${id}`, run: `echo ${id} > ${id}.txt` })),
    });
    const handle = await startSprint(harness, { spec, options: { heartbeatTimeoutMs: 2_000 } });

    await waitForFile(marker, 30_000);
    await worker.crashAndRestart();
    const state = await within(RECOVERY_BUDGET_MS, handle.result());
    if (state === 'stalled') {
      await handle.terminate('the lost merge was not retried');
      throw new Error(`the sprint stalled: no result ${RECOVERY_BUDGET_MS} ms after the kill`);
    }
    expect(state.status).toBe('completed');
    expect([...state.integration.merged].sort()).toEqual(ids);
    const tree = await fixtureGit(harness.sandbox.repo).raw([
      'ls-tree',
      '--name-only',
      state.integration.branch,
    ]);
    for (const id of ids) expect(tree).toContain(`${id}.txt`);
  });
});
