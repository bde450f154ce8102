import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__SPRINTWAVE_DEV_SERVER__?.stop();
  globalThis.__SPRINTWAVE_DEV_SERVER__ = undefined;
  const dir = process.env.SPRINTWAVE_TEST_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
