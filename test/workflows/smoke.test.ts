import { connectTestTemporal, createTestWorker, uniqueId } from '../support/temporal';
import type { TestTemporal } from '../support/temporal';
import { smokeWorkflow } from '../support/test-workflows';

describe('Temporal under the tests', () => {
  let temporal: TestTemporal;

  beforeAll(async () => {
    temporal = await connectTestTemporal();
  });

  afterAll(async () => {
    await temporal.close();
  });

  it('runs a workflow and its activity through a real worker on the dev server', async () => {
    const worker = await createTestWorker(temporal, {
      activities: { echo: async (text: string) => text.toUpperCase() },
    });
    const result = await worker.runUntil(
      temporal.client.workflow.execute(smokeWorkflow, {
        taskQueue: worker.options.taskQueue,
        workflowId: uniqueId('smoke'),
        args: ['hello'],
      }),
    );
    expect(result).toBe('HELLO from smokeWorkflow');
  });
});
