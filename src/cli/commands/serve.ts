import { checkApiAddress, startApiServer } from '../../api/server';
import { loadConfigWithCredentials } from '../../runtime/config';
import { createLogger, installTemporalLogging } from '../../runtime/logger';
import { closeTemporal, onStopRequest, runWorker, stopInOrder } from '../../runtime/process-life';
import type { RunningWorker } from '../../runtime/process-life';
import { openTemporal } from '../../runtime/temporal';
import { createSprintWorker } from '../../runtime/worker';
import { EXIT } from '../errors';
import type { CliIO } from '../io';

export type ServeMode = 'dev' | 'worker' | 'api';

/** Within STOP_DEADLINE_MS: the executor's SIGTERM-to-SIGKILL 5 s, then its activity reports. */
const WORKER_SHUTDOWN_FORCE_TIME = '7s';

/**
 * `dev`: the embedded Temporal dev server (Web UI, SQLite under SPRINTWAVE_HOME), a worker and
 * the HTTP API. `worker`: a worker for TEMPORAL_ADDRESS (or the local dev server). `api`: the
 * HTTP API alone. All run until SIGINT/SIGTERM, then stop the API, the worker and the dev
 * server in that order and return 0; a failing worker ends them with its error.
 */
export async function serveCommand(mode: ServeMode, io: CliIO): Promise<number> {
  const config = await loadConfigWithCredentials();
  if (mode !== 'worker') checkApiAddress(config.api);
  const logger = createLogger('sprintwave', mode === 'dev' ? config.home : undefined);
  const stop = new AbortController();
  const unsubscribe = onStopRequest(() => stop.abort());
  // Opened in the order Temporal, worker, API, so closing backwards stops the API first.
  const opened: Array<readonly [string, () => Promise<void>]> = [];
  try {
    const temporal = await openTemporal(config);
    opened.push(['Temporal', () => closeTemporal(temporal)]);
    if (mode === 'dev' && temporal.uiUrl) io.out(`Temporal Web UI: ${temporal.uiUrl}`);
    io.out(`Temporal at ${temporal.address} (namespace ${temporal.namespace}).`);
    let worker: RunningWorker | undefined;
    if (mode !== 'api' && !stop.signal.aborted) {
      installTemporalLogging(logger);
      const created = await createSprintWorker({
        connection: await temporal.nativeConnection(),
        client: temporal.client,
        config,
        shutdownForceTime: WORKER_SHUTDOWN_FORCE_TIME,
      });
      const running = runWorker(created);
      worker = running;
      opened.push(['the worker', () => running.stop()]);
      io.out(`Worker on task queue ${config.temporal.taskQueue}.`);
    }
    if (mode !== 'worker' && !stop.signal.aborted) {
      const api = await startApiServer({ client: temporal.client, config, logger });
      opened.push(['the HTTP API', () => api.close()]);
      io.out(`HTTP API: ${api.url} (OpenAPI and Swagger UI at ${api.url}/docs)`);
      io.out(boardLine(api.url, Boolean(config.api.token)));
    }
    if (stop.signal.aborted) return EXIT.ok;
    io.out('Ready. Press Ctrl-C to stop.');
    await (worker
      ? Promise.race([aborted(stop.signal), worker.done.then(stoppedByItself)])
      : aborted(stop.signal));
    return EXIT.ok;
  } finally {
    await stopInOrder(opened.reverse(), (what, error) =>
      io.err(`warning: stopping ${what}: ${(error as Error).message}`),
    );
    unsubscribe();
  }
}

/** The board's link; the token itself is not printed: the page takes it as `#token=…`. */
function boardLine(apiUrl: string, hasToken: boolean): string {
  const how = hasToken ? ' (add #token=<SPRINTWAVE_API_TOKEN> to the link)' : '';
  return `Sprint board: ${apiUrl}/${how}`;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function stoppedByItself(): never {
  throw new Error('The worker stopped by itself.');
}
