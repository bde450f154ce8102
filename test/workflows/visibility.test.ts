import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startOrAttach } from '../../src/service/sprints';
import { startDevServer } from '../../src/runtime/dev-server';
import { createSprintWorker } from '../../src/runtime/worker';
import { SPRINT_ID, SPRINT_STATUS, WORK_PACKAGE } from '../../src/workflows/search-attributes';
import { sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testClient, uniqueId } from '../support/temporal';

jest.setTimeout(120_000);

/** Visibility is eventually consistent: asks again until the query finds `count` workflows. */
async function listUntil(client: Client, query: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ids: string[] = [];
    for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
    if (ids.length === count) return ids.sort();
    if (Date.now() > deadline) {
      throw new Error(`${query} found ${JSON.stringify(ids)}, not ${count} workflow(s)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('sprints in the Temporal Web UI: search attributes and summaries', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('finds a sprint by SprintId, its packages by WorkPackage, and its SprintStatus from running to completed', async () => {
    const { client } = harness.temporal;
    const release = path.join(harness.sandbox.dir, uniqueId('release'));
    const spec = sprint(harness.sandbox.repo, {
      title: 'Visible sprint',
      packages: [
        { id: 'WP01', title: 'Identity module', run: 'echo one > one.txt', points: 3 },
        {
          id: 'WP02',
          title: 'Waits for a file',
          dependsOn: ['WP01'],
          run: `while [ ! -f ${release} ]; do sleep 0.1; done; echo two > two.txt`,
        },
      ],
    });
    const worker = await harness.worker();
    const { handle } = await worker.runUntil(async () => {
      const started = await startOrAttach(client, harness.config, {
        spec,
        options: { heartbeatTimeoutMs: 5_000 },
      });
      expect(started.started).toBe(true);
      const running = `SprintId = '${spec.id}' AND SprintStatus = 'running'`;
      expect(await listUntil(client, running, 1)).toEqual([spec.id]);
      await writeFile(release, '');
      expect((await started.handle.result()).status).toBe('completed');
      return started;
    });

    const sprintQuery = `SprintId = '${spec.id}' AND WorkflowType = 'sprintWorkflow'`;
    expect(await listUntil(client, `${sprintQuery} AND SprintStatus = 'completed'`, 1)).toEqual([
      spec.id,
    ]);
    expect(await listUntil(client, `SprintId = '${spec.id}' AND WorkPackage = 'WP01'`, 1)).toEqual([
      `${spec.id}/WP01`,
    ]);
    expect(
      await listUntil(
        client,
        `SprintId = '${spec.id}' AND WorkflowType = 'workPackageWorkflow'`,
        2,
      ),
    ).toEqual([`${spec.id}/WP01`, `${spec.id}/WP02`]);

    const parent = await handle.describe();
    expect(await parent.staticSummary()).toBe(`${spec.id} · Visible sprint`);
    expect(await parent.staticDetails()).toContain('Status JSON: `sprintwave status');
    expect(parent.typedSearchAttributes.get(SPRINT_STATUS)).toBe('completed');
    const child = await client.workflow.getHandle(`${spec.id}/WP01`).describe();
    expect(await child.staticSummary()).toBe('WP01 · Identity module');
    const details = await child.staticDetails();
    expect(details).toContain(`sprint ${spec.id} · priority P1 · 3 points\n\nNo dependencies`);
    expect(details).toMatch(/Command:\n(`{3,})\necho one > one\.txt\n\1$/); // a code block
    expect(child.typedSearchAttributes.get(SPRINT_ID)).toBe(spec.id);
    expect(child.typedSearchAttributes.get(WORK_PACKAGE)).toBe('WP01');

    // The upsert at the end and the children's options replay without nondeterminism.
    const codePath = process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string;
    await Worker.runReplayHistory(
      { workflowBundle: { codePath } },
      await handle.fetchHistory(),
      spec.id,
    );
  });

  it('runs sprints on a server without the search attributes: a warning, no attributes, summaries kept', async () => {
    const server = await startDevServer({ uiPort: false, searchAttributes: false });
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    const emitWarning = jest.spyOn(process, 'emitWarning');
    try {
      const client = testClient(connection);
      const spec = sprint(harness.sandbox.repo, {
        packages: [{ id: 'WP01', title: 'Alone', run: 'echo alone > alone.txt' }],
      });
      const worker = await createSprintWorker({
        connection: native,
        client,
        config: harness.config,
        workflowBundle: { codePath: process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string },
      });
      const { handle } = await worker.runUntil(async () => {
        const started = await startOrAttach(client, harness.config, { spec });
        expect((await started.handle.result()).status).toBe('completed');
        return started;
      });

      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning).toHaveBeenCalledWith(
        expect.stringContaining(
          'lacks the Keyword search attributes SprintId, WorkPackage, SprintStatus',
        ),
        { code: 'SPRINTWAVE_SEARCH_ATTRIBUTES' },
      );
      const parent = await handle.describe();
      expect(parent.typedSearchAttributes.get(SPRINT_ID)).toBeUndefined();
      expect(parent.typedSearchAttributes.get(SPRINT_STATUS)).toBeUndefined();
      expect(await parent.staticSummary()).toBe(spec.id);
      const child = await client.workflow.getHandle(`${spec.id}/WP01`).describe();
      expect(child.typedSearchAttributes.get(WORK_PACKAGE)).toBeUndefined();
      expect(await child.staticSummary()).toBe('WP01 · Alone');
    } finally {
      emitWarning.mockRestore();
      await native.close();
      await connection.close();
      await server.stop();
    }
  });
});
