import { bundleWorkflowCode } from '@temporalio/worker';

/** Product workflows plus the test-only ones, bundled once for the whole run. */
export async function buildWorkflowBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./test-workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  return code;
}
