import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import type { AppDeps } from '../../src/api/app';
import { startHarness } from './sprint-harness';
import type { Harness } from './sprint-harness';

export interface ApiHarness {
  harness: Harness;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** The API on the shared dev server, with a real repository and a worker running beside it. */
export async function startApiHarness(
  env: NodeJS.ProcessEnv = {},
  deps: Partial<Omit<AppDeps, 'client' | 'config'>> = {},
): Promise<ApiHarness> {
  const harness = await startHarness(env);
  const app = await buildApp({ client: harness.temporal.client, config: harness.config, ...deps });
  const worker: Worker = await harness.worker();
  const running = worker.run();
  return {
    harness,
    app,
    async close() {
      worker.shutdown();
      await running;
      await app.close();
      await harness.close();
    },
  };
}
