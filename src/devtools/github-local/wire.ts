import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ApiResponse, RateLimit } from './handlers';

/** Request and response plumbing, with the headers GitHub sends. */

const RATE_LIMIT = 5000;
const REDACTED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** GitHub's primary limit for a token: 5000 requests an hour. */
export function rateLimiter(): { take(): RateLimit; peek(): RateLimit } {
  let used = 0;
  let reset = 0;
  const peek = (): RateLimit => {
    const now = Math.floor(Date.now() / 1000);
    if (now >= reset) [used, reset] = [0, now + 3600];
    return {
      limit: RATE_LIMIT,
      remaining: Math.max(RATE_LIMIT - used, 0),
      reset,
      used,
      resource: 'core',
    };
  };
  return {
    peek,
    take: () => {
      peek();
      used++;
      return peek();
    },
  };
}

export function send(reply: FastifyReply, response: ApiResponse, limit: RateLimit): FastifyReply {
  if (reply.raw.destroyed) return reply.hijack(); // the client gave up, e.g. on a delayed answer
  const headers: Record<string, string> = {
    'x-github-api-version-selected': '2022-11-28',
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': requestId(),
    'x-ratelimit-limit': String(limit.limit),
    'x-ratelimit-remaining': String(limit.remaining),
    'x-ratelimit-reset': String(limit.reset),
    'x-ratelimit-used': String(limit.used),
    'x-ratelimit-resource': limit.resource,
    ...response.headers,
  };
  reply.code(response.status).headers(headers);
  if (response.body === undefined) return reply.send();
  // Serialized here, with GitHub's content type, so Fastify sends the text as it is.
  reply.header('content-type', 'application/json; charset=utf-8');
  return reply.send(JSON.stringify(response.body));
}

/** Shaped like GitHub's, e.g. `C0DE:1A2B:3C4D5E:6F7A8B:65F0A1B2`. */
function requestId(): string {
  const hex = randomBytes(14).toString('hex').toUpperCase();
  return [
    hex.slice(0, 4),
    hex.slice(4, 8),
    hex.slice(8, 14),
    hex.slice(14, 20),
    hex.slice(20, 28),
  ].join(':');
}

export function recordedHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    recorded[name] = REDACTED_HEADERS.has(name) ? '[redacted]' : [value].flat().join(', ');
  }
  return recorded;
}

export function parseBody(
  raw: string,
): { ok: true; value: unknown } | { ok: false; value?: undefined } {
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The body of a request Fastify did not read, e.g. one whose content type it refused. */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
