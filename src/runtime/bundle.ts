import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Where the build puts the workflow bundle, beside the compiled code (`dist/workflow-bundle.js`). */
export const PREBUILT_BUNDLE = path.resolve(__dirname, '..', '..', 'workflow-bundle.js');

/** The prebuilt bundle when this is the compiled CLI, so a command starts without bundling. */
export function prebuiltBundle(): { codePath: string } | undefined {
  return __filename.endsWith('.js') && existsSync(PREBUILT_BUNDLE)
    ? { codePath: PREBUILT_BUNDLE }
    : undefined;
}

export async function writeWorkflowBundle(file = PREBUILT_BUNDLE): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  await writeFile(file, code);
}

if (require.main === module) {
  writeWorkflowBundle().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
