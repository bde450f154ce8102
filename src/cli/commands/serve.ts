import { startApiServer } from '../../api/server';
import type { ApiServer } from '../../api/server';
import { loadConfigWithCredentials } from '../../runtime/config';
import { createLogger, installTemporalLogging } from '../../runtime/logger';
import { openTemporal } from '../../runtime/temporal';
import { createSprintWorker } from '../../runtime/worker';
import { EXIT } from '../errors';
import type { CliIO } from '../io';

/**
 * `dev`: the embedded Temporal dev server (Web UI, SQLite under SPRINTWAVE_HOME), a worker and
 * the HTTP API. `worker`: a worker for TEMPORAL_ADDRESS (or the local dev server). `api`: the
 * HTTP API alone. All run until Ctrl-C.
 */
export async function serveCommand(mode: 'dev' | 'worker' | 'api', io: CliIO): Promise<number> {
  const config = await loadConfigWithCredentials();
  const logger = createLogger('sprintwave', mode === 'dev' ? config.home : undefined);
  installTemporalLogging(logger);
  const temporal = await openTemporal(config);
  let api: ApiServer | undefined;
  try {
    if (mode === 'dev' && temporal.uiUrl) io.out(`Temporal Web UI: ${temporal.uiUrl}`);
    io.out(`Temporal at ${temporal.address} (namespace ${temporal.namespace}).`);
    if (mode !== 'worker') {
      api = await startApiServer({ client: temporal.client, config, handleSignals: false });
      io.out(`HTTP API: ${api.url} (OpenAPI and Swagger UI at ${api.url}/docs)`);
    }
    if (mode === 'api') {
      io.out('Ready. Press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return EXIT.ok;
    }
    const worker = await createSprintWorker({
      connection: await temporal.nativeConnection(),
      client: temporal.client,
      config,
    });
    const stop = (): void => worker.shutdown();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.out(`Worker on task queue ${config.temporal.taskQueue}. Ready. Press Ctrl-C to stop.`);
    await worker.run();
    return EXIT.ok;
  } finally {
    await api?.close();
    await temporal.close();
  }
}
