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

  it('waits for handed-over packages without holding activity slots: other work goes on meanwhile', async () => {
    // Two packages run (a slot each) when their sprint hands them over. A wait that held a slot
    // per package would fill the worker's four and starve the second sprint until they ended.
    const few = await startHarness({ SPRINTWAVE_WORKER_ACTIVITIES: '4' });
    try {
      const gates = ['G1', 'G2'].map((id) => gated(few.sandbox.dir, id));
      const held = sprint(few.sandbox.repo, {
        concurrency: 2,
        packages: [...gates.map((gate) => gate.spec), ...quick(2)],
      });
      const other = sprint(few.sandbox.repo, { concurrency: 1, packages: quick(3) });
      const worker = await few.worker();
      const { final, beside, firstRunId } = await worker.runUntil(async () => {
        const handle = await startSprint(few, {
          spec: held,
          options: { heartbeatTimeoutMs: 5_000, continueAsNewAtEvents: 20 },
        });
        const firstRunId = (await handle.describe()).runId;
        await waitFor(
          () => handle.query(progressQuery),
          (s) => gates.every((gate) => pkg(s, gate.spec.id).status === 'in_progress'),
          'the gated packages to run',
          WITHIN_MS,
        );
        const deadline = Date.now() + WITHIN_MS;
        while ((await handle.describe()).runId === firstRunId) {
          if (Date.now() > deadline) throw new Error('the sprint never continued as new');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const second = await startSprint(few, { spec: other });
        const beside = await waitFor(
          () => second.query(progressQuery),
          (s) => s.status === 'completed',
          'the other sprint to complete while the handed-over packages still run',
          WITHIN_MS,
        );
        for (const gate of gates) writeFileSync(gate.gate, '');
        return { final: await settledSprintState(handle), beside, firstRunId };
      });

      expect(beside.integration.merged).toHaveLength(3);
      expect(final.status).toBe('completed');
      expect(final.integration.merged).toHaveLength(4);
      const runs = await runHistories(few.temporal.client, held.id, firstRunId);
      expect(runs.slice(1).some((run) => (run.activities.awaitPackageEnd ?? 0) > 0)).toBe(true);
      for (const gate of gates) expect(starts(gate.ledger)).toBe(1);
    } finally {
      await few.close();
    }
  });
});
