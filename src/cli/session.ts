import { loadConfig, loadConfigWithCredentials } from '../runtime/config';
import type { Config } from '../runtime/config';
import { createLogger, installTemporalLogging } from '../runtime/logger';
import { closeTemporal, onStopRequest, runWorker } from '../runtime/process-life';
import type { RunningWorker } from '../runtime/process-life';
import { openTemporal } from '../runtime/temporal';
import type { TemporalSession } from '../runtime/temporal';
import { createSprintWorker } from '../runtime/worker';
import { CliError } from './errors';
import type { CliIO } from './io';

export interface Session {
  config: Readonly<Config>;
  temporal: TemporalSession;
  /** True when this process runs a worker for the sprint (the embedded dev server). */
  hasWorker: boolean;
  /** Aborted on Ctrl-C: long waits stop, so everything closes in order. */
  interrupted: AbortSignal;
  /** The sprint's part is over: a Ctrl-C from now on only closes what is still up. */
  settle(): void;
}

export const INTERRUPTED_EXIT = 130;

/** How long an interrupted or orphaned command's waits get to end once aborted. */
const WORK_SETTLE_MS = 5_000;

async function settledWithin(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    timeout,
  ]);
  clearTimeout(timer);
}

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
 * worker; the sprint itself lives on in Temporal. A worker that fails ends `work` too.
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
  const interruption = new AbortController();
  let interrupted = false;
  let settled = false;
  let worker: RunningWorker | undefined;
  const unsubscribe = onStopRequest(() => {
    interrupted = true;
    io.err(
      settled
        ? '\nStopping.'
        : '\nStopping: the sprint keeps its state in Temporal; run the same command again to attach.',
    );
    interruption.abort();
    void worker?.stop();
  });
  let temporal: TemporalSession | undefined;
  try {
    temporal = await openTemporal(config);
    if (temporal.server) io.err(`Temporal dev server started; Web UI: ${temporal.uiUrl}`);
    const wantWorker = options.worker === 'embedded' && !config.temporal.address;
    const session: Session = {
      config,
      temporal,
      hasWorker: wantWorker,
      interrupted: interruption.signal,
      settle: () => (settled = true),
    };
    // `work` only hears of an interruption that comes while it runs.
    if (interrupted) throw new CliError('Interrupted.', INTERRUPTED_EXIT);
    if (!wantWorker) return await work(session);
    installTemporalLogging(createLogger('sprintwave', config.home));
    const created = await createSprintWorker({
      connection: await temporal.nativeConnection(),
      client: temporal.client,
      config,
      // An interrupted command stops soon even if a command's processes are slow to die.
      shutdownForceTime: '5s',
    });
    worker = runWorker(created);
    const failed = worker.done.then(() => {
      throw new CliError('The worker stopped before the command ended.');
    });
    let running: Promise<T> | undefined;
    try {
      if (interrupted) throw new CliError('Interrupted.', INTERRUPTED_EXIT);
      running = work(session);
      return await Promise.race([running, failed]);
    } catch (error) {
      // Ends the waits of `work` when the worker failed under it, and lets them end before the
      // connection closes: a call still out then would be retried onto a closed channel.
      interruption.abort();
      await settledWithin(running, WORK_SETTLE_MS);
      throw error;
    } finally {
      await worker.stop();
    }
  } catch (error) {
    if (interrupted) throw new CliError('Interrupted.', INTERRUPTED_EXIT);
    throw error;
  } finally {
    // Its failure must not hide the command's outcome; the connections go with the process.
    if (temporal) await closeTemporal(temporal).catch(() => undefined);
    unsubscribe();
  }
}
