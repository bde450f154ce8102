import { Connection } from '@temporalio/client';
import type { WorkflowHandle, Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { sprintState } from '../../src/api/sprints';
import { progressQuery } from '../../src/workflows/messages';
import type { sprintWorkflow } from '../../src/workflows';
import { cancelSprintSignal } from '../../src/workflows/messages';
import { sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress, testClient, uniqueId } from '../support/temporal';

jest.setTimeout(60_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('sprintState under concurrent reads (real dev server, running sprint)', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;
  let handle: WorkflowHandle<typeof sprintWorkflow>;
  // The API's own connection, so only the reads under test are counted (not the worker's).
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    harness = await startHarness();
    worker = await harness.worker();
    running = worker.run();
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'sleeps until cancelled', run: 'sleep 60' }],
    });
    handle = await startSprint(harness, { spec });
    const deadline = Date.now() + 20_000;
    while ((await handle.query(progressQuery)).packages[0]?.status !== 'in_progress') {
      if (Date.now() > deadline) throw new Error('WP01 did not start');
      await sleep(100);
    }
    connection = await Connection.connect({ address: testAddress() });
    client = testClient(connection);
  });

  afterAll(async () => {
    await handle?.signal(cancelSprintSignal, 'test done');
    await handle?.result();
    await connection?.close();
    worker.shutdown();
    await running;
    await harness.close();
  });

  afterEach(() => jest.restoreAllMocks());

  it('answers 20 concurrent reads with one query, and reads again beside the kept answer once 250 ms have passed', async () => {
    const queries = jest.spyOn(connection.workflowService, 'queryWorkflow');
    const describes = jest.spyOn(connection.workflowService, 'describeWorkflowExecution');

    const states = await Promise.all(
      Array.from({ length: 20 }, () => sprintState(client, handle.workflowId)),
    );
    expect(states[0]?.status).toBe('running');
    expect(states[0]?.packages[0]?.status).toBe('in_progress');
    for (const state of states) expect(state).toBe(states[0]);
    expect(queries).toHaveBeenCalledTimes(1);
    // The sprint is described once (not once to find it and again to read it); its running
    // package once more, for its live progress.
    const described = describes.mock.calls.map(([request]) => request.execution?.workflowId);
    expect(described.filter((id) => id === handle.workflowId)).toHaveLength(1);
    expect(described.filter((id) => id !== handle.workflowId)).toEqual([
      `${handle.workflowId}/WP01`,
    ]);

    expect(await sprintState(client, handle.workflowId)).toBe(states[0]);
    expect(queries).toHaveBeenCalledTimes(1);

    // Past 250 ms the kept answer still comes at once, and one new read runs beside it.
    await sleep(300);
    expect(await sprintState(client, handle.workflowId)).toBe(states[0]);
    let fresh = states[0];
    for (let tries = 0; fresh === states[0] && tries < 500; tries++) {
      await sleep(20);
      fresh = await sprintState(client, handle.workflowId);
    }
    expect(fresh).not.toBe(states[0]);
    expect(fresh?.status).toBe('running');
    expect(queries.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('shares a 404 among concurrent reads but does not keep it', async () => {
    const describes = jest.spyOn(connection.workflowService, 'describeWorkflowExecution');
    const id = uniqueId('no-such-sprint');

    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, () => sprintState(client, id)),
    );
    for (const result of settled) {
      expect(result).toMatchObject({ status: 'rejected', reason: { kind: 'not-found' } });
    }
    expect(describes).toHaveBeenCalledTimes(1);

    await expect(sprintState(client, id)).rejects.toMatchObject({ kind: 'not-found' });
    expect(describes).toHaveBeenCalledTimes(2);
  });
});
