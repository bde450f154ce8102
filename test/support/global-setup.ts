import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../src/runtime/dev-server';
import type { DevServer } from '../../src/runtime/dev-server';
import { buildWorkflowBundle } from './workflow-bundle';

declare global {
  var __SPRINTWAVE_DEV_SERVER__: DevServer | undefined;
}

/** One Temporal dev server and one workflow bundle for the whole run. */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sprintwave-test-'));
  const [server, bundle] = await Promise.all([
    startDevServer({ uiPort: false, logFile: path.join(dir, 'temporal.log') }),
    buildWorkflowBundle(),
  ]);
  globalThis.__SPRINTWAVE_DEV_SERVER__ = server;
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle);
  process.env.SPRINTWAVE_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.SPRINTWAVE_TEST_DIR = dir;
}
