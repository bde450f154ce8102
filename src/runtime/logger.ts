import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';

let installed = false;

/** The app's logger: JSON lines into `<home>/logs/<name>.log`, or stderr when no home is given. */
export function createLogger(
  name: string,
  home?: string,
  level = process.env.LOG_LEVEL ?? 'info',
): Logger {
  if (!home) return pino({ name, level }, pino.destination(2));
  const dir = path.join(home, 'logs');
  mkdirSync(dir, { recursive: true });
  return pino(
    { name, level },
    pino.destination({ dest: path.join(dir, `${name}.log`), sync: false, mkdir: true }),
  );
}

/** Routes the Temporal SDK's logs (workflow, activity, worker, core) to the app's pino logger. */
export function installTemporalLogging(logger: Logger): void {
  if (installed) return;
  installed = true;
  const sdkLogger = new DefaultLogger('INFO', ({ level, message, meta }) => {
    const method = pinoMethod(level);
    logger[method](meta ?? {}, message);
  });
  Runtime.install({
    logger: sdkLogger,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    },
  });
}

function pinoMethod(level: LogLevel): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  switch (level) {
    case 'TRACE':
      return 'trace';
    case 'DEBUG':
      return 'debug';
    case 'WARN':
      return 'warn';
    case 'ERROR':
      return 'error';
    default:
      return 'info';
  }
}
