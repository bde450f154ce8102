import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../runtime/config';
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
 * Listens on `config.api.host:port` and closes gracefully on SIGINT/SIGTERM. Refuses a
 * non-loopback host without SPRINTWAVE_API_TOKEN: the API would start sprints for anyone.
 */
export async function startApiServer(deps: {
  client: Client;
  config: Readonly<Config>;
  logger?: boolean | object;
  rateLimit?: number;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
}): Promise<ApiServer> {
  const { host, port, token } = deps.config.api;
  if (!token && !isLoopback(host)) {
    throw new ApiStartError(
      `Refusing to serve the API on ${host} without a token: set SPRINTWAVE_API_TOKEN, ` +
        'or listen on 127.0.0.1 (SPRINTWAVE_API_HOST).',
    );
  }
  const app = await buildApp(deps);
  const url = await app.listen({ host, port });
  let closing: Promise<void> | undefined;
  const onSignal = (): void => {
    void close();
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await app.close();
    })();
    return closing;
  };
  if (deps.handleSignals !== false) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { app, url, close };
}
