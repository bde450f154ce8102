import { proxyActivities, workflowInfo } from '@temporalio/workflow';

export * from '../../src/workflows';

const { echo } = proxyActivities<{ echo(text: string): Promise<string> }>({
  startToCloseTimeout: '10 seconds',
});

/** A trivial workflow for the smoke test: one activity through a real worker. */
export async function smokeWorkflow(text: string): Promise<string> {
  return `${await echo(text)} from ${workflowInfo().workflowType}`;
}
