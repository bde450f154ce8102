import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../runtime/config';
import { onStopRequest } from '../runtime/process-life';
import { buildApp } from './app';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class ApiStartError extends Error {
  override name = 'ApiStartError';
}

export interface ApiServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/**
 * Refuses a non-loopback host without SPRINTWAVE_API_TOKEN: the API would start sprints for
 * anyone. Checked before anything else starts, so a refusal costs nothing.
 */
export function checkApiAddress(api: Readonly<Config['api']>): void {
  if (!api.token && !isLoopback(api.host)) {
    throw new ApiStartError(
      `Refusing to serve the API on ${api.host} without a token: set SPRINTWAVE_API_TOKEN, ` +
        'or listen on 127.0.0.1 (SPRINTWAVE_API_HOST).',
    );
  }
}

/** Listens on `config.api.host:port`; `close()` stops taking requests and ends the open ones. */
export async function startApiServer(deps: {
  client: Client;
  config: Readonly<Config>;
  /** The process's pino logger or Fastify's logger options; no logging without. */
  logger?: boolean | object;
  rateLimit?: number;
  /** Close on the first SIGINT/SIGTERM (default false: the command owns the process's life). */
  handleSignals?: boolean;
}): Promise<ApiServer> {
  const { host, port } = deps.config.api;
  checkApiAddress(deps.config.api);
  const app = await buildApp(deps);
  let url: string;
  try {
    url = await app.listen({ host, port });
  } catch (error) {
    await app.close();
    throw listenError(error, host, port);
  }
  let closing: Promise<void> | undefined;
  const unsubscribe = deps.handleSignals ? onStopRequest(() => void close()) : undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      unsubscribe?.();
      await app.close();
    })();
    return closing;
  };
  return { app, url, close };
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new ApiStartError(
      `Cannot serve the API on ${host}:${port}: the port is in use (SPRINTWAVE_API_PORT).`,
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new ApiStartError(
      `Cannot serve the API on ${host}:${port}: no such address here (SPRINTWAVE_API_HOST).`,
    );
  }
  return error;
}
