import { loadConfig } from '../../runtime/config';
import { createLogger, installTemporalLogging } from '../../runtime/logger';
import { openTemporal } from '../../runtime/temporal';
import { createSprintWorker } from '../../runtime/worker';
import { EXIT } from '../errors';
import type { CliIO } from '../io';

/**
 * `dev`: the embedded Temporal dev server (Web UI, SQLite under SPRINTWAVE_HOME) and a worker.
 * `worker`: a worker for TEMPORAL_ADDRESS (or the local dev server). Both run until Ctrl-C.
 */
export async function serveCommand(mode: 'dev' | 'worker', io: CliIO): Promise<number> {
  const config = loadConfig();
  const logger = createLogger('sprintwave', mode === 'dev' ? config.home : undefined);
  installTemporalLogging(logger);
  const temporal = await openTemporal(config);
  try {
    if (mode === 'dev' && temporal.uiUrl) io.out(`Temporal Web UI: ${temporal.uiUrl}`);
    io.out(
      `Temporal at ${temporal.address} (namespace ${temporal.namespace}); worker on task queue ${config.temporal.taskQueue}.`,
    );
    const worker = await createSprintWorker({
      connection: await temporal.nativeConnection(),
      client: temporal.client,
      config,
    });
    const stop = (): void => worker.shutdown();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.out('Ready. Press Ctrl-C to stop.');
    await worker.run();
    return EXIT.ok;
  } finally {
    await temporal.close();
  }
}
