import { loadConfig, loadConfigWithCredentials } from '../runtime/config';
import type { Config } from '../runtime/config';
import { createLogger, installTemporalLogging } from '../runtime/logger';
import { openTemporal } from '../runtime/temporal';
import type { TemporalSession } from '../runtime/temporal';
import { createSprintWorker } from '../runtime/worker';
import type { Worker } from '@temporalio/worker';
import { CliError } from './errors';
import type { CliIO } from './io';

export interface Session {
  config: Readonly<Config>;
  temporal: TemporalSession;
  /** True when this process runs a worker for the sprint (the embedded dev server). */
  hasWorker: boolean;
  /** Aborted on Ctrl-C: long waits stop, so everything closes in order. */
  interrupted: AbortSignal;
}

export const INTERRUPTED_EXIT = 130;

export interface SessionOptions {
  /**
   * Run a worker in this process: 'embedded' when there is no TEMPORAL_ADDRESS (commands that
   * follow a sprint to its end); 'never' for commands that only look or send a message.
   */
  worker: 'embedded' | 'never';
  /** Settings that take precedence over the environment (the demo's local GitHub). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Connects to Temporal (embedded dev server when TEMPORAL_ADDRESS is unset), runs `work`
 * with a worker beside it when asked, and always closes what it opened. Ctrl-C stops the
 * worker; the sprint itself lives on in Temporal.
 */
export async function withSession<T>(
  io: CliIO,
  options: SessionOptions,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const env = { ...process.env, ...options.env };
  // Only a worker uses the stored tokens: commands that just look must not depend on the store.
  const config =
    options.worker === 'embedded' ? await loadConfigWithCredentials(env) : loadConfig(env);
  const temporal = await openTemporal(config);
  if (temporal.server) io.err(`Temporal dev server started; Web UI: ${temporal.uiUrl}`);
  const wantWorker = options.worker === 'embedded' && !config.temporal.address;
  const interruption = new AbortController();
  let worker: Worker | undefined;
  const stop = (): void => {
    io.err(
      '\nStopping: the sprint keeps its state in Temporal; run the same command again to attach.',
    );
    interruption.abort();
    worker?.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const session = { config, temporal, hasWorker: wantWorker, interrupted: interruption.signal };
    if (!wantWorker) return await work(session);
    installTemporalLogging(createLogger('sprintwave', config.home));
    worker = await createSprintWorker({
      connection: await temporal.nativeConnection(),
      client: temporal.client,
      config,
      // An interrupted command stops soon even if a command's processes are slow to die.
      shutdownForceTime: '5s',
    });
    return await worker.runUntil(work(session));
  } catch (error) {
    if (interruption.signal.aborted) throw new CliError('Interrupted.', INTERRUPTED_EXIT);
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await temporal.close();
  }
}
