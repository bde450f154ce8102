import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { packageWorkflowId } from '../../src/domain/ids';
import { cancelSprintSignal, progressQuery } from '../../src/workflows/messages';
import { settledSprintState } from '../../src/workflows/outcomes';
import { runHistories } from '../../bench/history';
import { pkg, sprint, startHarness, startSprint, waitFor } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(180_000);

/** The sprint goes through several runs meanwhile. */
const WITHIN_MS = 90_000;

/** A package that writes to a ledger when it starts, then waits for its gate file. */
function gated(dir: string, id: string) {
  const ledger = path.join(dir, `${id}.ledger`);
  const gate = path.join(dir, `${id}.gate`);
  return {
    ledger,
    gate,
    spec: {
      id,
      title: 'runs until the test opens its gate',
      run: `echo "start $$" >> ${ledger}; while [ ! -f ${gate} ]; do sleep 0.1; done; echo done >> long.txt`,
    },
  };
}

function quick(count: number) {
  return Array.from({ length: count }, (_, n) => ({
    id: `Q${String(n).padStart(2, '0')}`,
    title: `quick ${n}`,
    run: 'echo "$SPRINTWAVE_WP_ID" > "$SPRINTWAVE_WP_ID.txt"',
  }));
}

function starts(ledger: string): number {
  return readFileSync(ledger, 'utf8').trim().split('\n').length;
}

describe('a sprint that continues as new while a package runs', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('hands the running package over: later packages run on in new runs, and its end reaches the last run', async () => {
    const long = gated(harness.sandbox.dir, 'LONG');
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 3,
      packages: [long.spec, ...quick(24)],
    });
    const worker = await harness.worker();
    const { final, firstRunId, seen } = await worker.runUntil(async () => {
      const handle = await startSprint(harness, {
        spec,
        options: { heartbeatTimeoutMs: 5_000, continueAsNewAtEvents: 40 },
      });
      const firstRunId = (await handle.describe()).runId;
      // Every other package done while LONG still runs: no run waited for it to end.
      const seen = await waitFor(
        () => handle.query(progressQuery),
        (s) =>
          pkg(s, 'LONG').status === 'in_progress' &&
          s.packages.filter((wp) => wp.status === 'completed').length === 24,
        'the quick packages to complete while LONG runs',
        WITHIN_MS,
      );
      writeFileSync(long.gate, '');
      return { final: await settledSprintState(handle), firstRunId, seen };
    });

    expect(seen.packages.filter((wp) => wp.status === 'completed')).toHaveLength(24);
    const runs = await runHistories(harness.temporal.client, spec.id, firstRunId);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(final.status).toBe('completed');
    expect(pkg(final, 'LONG')).toMatchObject({ status: 'completed', attempt: 1, filesChanged: 1 });
    expect(final.integration.merged).toHaveLength(25);
    // Its command ran once, in the one workflow the first run started.
    expect(starts(long.ledger)).toBe(1);
    const child = await harness.temporal.client.workflow
      .getHandle(packageWorkflowId(spec.id, 'LONG'))
      .describe();
    expect(child.parentExecution?.runId).toBe(firstRunId);
    expect(runs.at(-1)?.runId).not.toBe(firstRunId);
    // Each package changed a file of its own: no run rehearsed a merge, the later ones knowing
    // the files of what completed before them.
    expect(runs.map((run) => run.activities.rehearseMerge ?? 0)).toEqual(runs.map(() => 0));
  });

  it('cancels a handed-over package through its workflow when the sprint is cancelled', async () => {
    const long = gated(harness.sandbox.dir, 'HELD');
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 2,
      packages: [long.spec, ...quick(16)],
    });
    const worker = await harness.worker();
    const { state, firstRunId } = await worker.runUntil(async () => {
      const handle = await startSprint(harness, {
        spec,
        options: { heartbeatTimeoutMs: 5_000, continueAsNewAtEvents: 40 },
      });
      const firstRunId = (await handle.describe()).runId;
      await waitFor(
        () => handle.query(progressQuery),
        (s) => s.packages.filter((wp) => wp.status === 'completed').length === 16,
        'the quick packages to complete while HELD runs',
        WITHIN_MS,
      );
      await handle.signal(cancelSprintSignal, 'test');
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      return { state: await settledSprintState(handle), firstRunId };
    });

    const runs = await runHistories(harness.temporal.client, spec.id, firstRunId);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(state.status).toBe('cancelled');
    expect(pkg(state, 'HELD').status).toBe('cancelled');
    const child = await harness.temporal.client.workflow
      .getHandle(packageWorkflowId(spec.id, 'HELD'))
      .describe();
    expect(child.status.name).toBe('CANCELLED');
    expect(starts(long.ledger)).toBe(1);
  });
});
