import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import pino from 'pino';
import type { Logger, LoggerOptions } from 'pino';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
import { ConfigError } from './config';

let installed = false;

const LEVELS = [...Object.keys(pino.levels.values), 'silent'];

/**
 * Where secrets could appear in a log line: request headers (Fastify logs none by default, but
 * a serializer or a `trace` line may), and token fields of any logged object.
 */
export const REDACT: LoggerOptions['redact'] = {
  paths: [
    'authorization',
    '*.authorization',
    'headers.authorization',
    'headers.cookie',
    '*.headers.authorization',
    '*.headers.cookie',
    'token',
    '*.token',
    'apiToken',
    'syncToken',
    '*.syncToken',
    'passphrase',
  ],
  censor: '[redacted]',
};

/** SPRINTWAVE_LOG_LEVEL: a pino level (trace, debug, info, warn, error, fatal) or silent. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = env.SPRINTWAVE_LOG_LEVEL || 'info';
  if (LEVELS.includes(level)) return level;
  throw new ConfigError(
    `Invalid environment:\n  SPRINTWAVE_LOG_LEVEL: must be one of ${LEVELS.join(', ')}`,
  );
}

/** The app's logger: JSON lines into `<home>/logs/<name>.log`, or stderr when no home is given. */
export function createLogger(name: string, home?: string, level = logLevel()): Logger {
  // The Temporal SDK logs errors as `error`: serialized like `err`, with message and stack.
  const serializers = { error: pino.stdSerializers.err };
  const options: LoggerOptions = { name, level, redact: REDACT, serializers };
  if (!home) return pino(options, pino.destination(2));
  const dir = path.join(home, 'logs');
  mkdirSync(dir, { recursive: true });
  return pino(
    options,
    pino.destination({ dest: path.join(dir, `${name}.log`), sync: false, mkdir: true }),
  );
}

/**
 * Fastify's logging: the process's logger, or pino options (redacted all the same), or none.
 * Each request gets a random id, logged as `reqId` on its lines.
 */
export function httpLogging(
  logger: boolean | object | undefined,
): Pick<FastifyServerOptions, 'logger' | 'genReqId'> & { loggerInstance?: FastifyBaseLogger } {
  const genReqId = (): string => randomUUID();
  if (isLogger(logger)) return { loggerInstance: logger, genReqId };
  if (logger && typeof logger === 'object')
    return { logger: { redact: REDACT, ...logger }, genReqId };
  return { logger: logger ?? false, genReqId };
}

function isLogger(value: unknown): value is FastifyBaseLogger {
  const candidate = value as Partial<Logger> | undefined;
  return typeof candidate?.child === 'function' && typeof candidate.info === 'function';
}

/**
 * Routes the Temporal SDK's logs (workflow, activity, worker, core) to the app's pino logger.
 * Install it just before the first worker: the runtime it starts keeps the process alive until
 * its last worker and connection are closed. Signals are left to src/runtime/process-life.ts.
 */
export function installTemporalLogging(logger: Logger): void {
  if (installed) return;
  installed = true;
  const sdkLogger = new DefaultLogger(sdkLevel(logger.level), ({ level, message, meta }) => {
    const method = pinoMethod(level);
    logger[method](meta ?? {}, message);
  });
  Runtime.install({
    logger: sdkLogger,
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    },
  });
}

function sdkLevel(level: string): LogLevel {
  switch (level) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
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
