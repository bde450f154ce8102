import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runChaos } from '../../bench/chaos-run';

jest.setTimeout(120_000);

describe('chaos: the worker process and the dev server killed at random points of a sprint', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-chaos-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('completes the sprint with the fault-free tree, no command outliving its worker or running twice at once, each event once and gapless, one progress comment and one summary', async () => {
    const workflowBundle = process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE;
    if (!workflowBundle)
      throw new Error('The Jest global setup did not build the workflow bundle.');
    const report = await runChaos({
      dir,
      workflowBundle,
      runs: 1,
      packages: 12,
      serverEvery: 1,
      // The server dies amid the first layer's commands; the worker 0.8 s after the first layer,
      // amid the second's (past their commit), with a third layer still to come on a slow machine.
      seed: 37,
    });

    expect(report.runs).toHaveLength(1);
    const [run] = report.runs;
    expect(run?.problems).toEqual([]);
    expect(run?.faults.map((fault) => fault.target).sort()).toEqual(['server', 'worker']);
    expect(run?.checks).toEqual({
      completed: true,
      sameTree: true,
      duplicateEvents: 0,
      sequenceGaps: [],
      eventsComplete: true,
      progressComments: 1,
      summaryComments: 1,
      finalTable: true,
      attempts: expect.any(Number),
      overlaps: [],
      outlived: [],
    });
    // Without a command started again, the ledger's checks would prove nothing.
    expect(run?.checks.attempts).toBeGreaterThan(0);
    expect(run?.events).toBeGreaterThan(12 * 2);
  });
});
