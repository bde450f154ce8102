import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../runtime/config';
import { PayloadCodecError, payloadCodec } from '../runtime/payload-codec';
import { webUiUrl } from '../runtime/temporal';
import { ApiError } from './errors';
import { errorResponses } from './schemas';
import type { ZodApp } from './schemas';

/** A history's worth of payloads at once: the Web UI sends a page of events in one request. */
const CODEC_BODY_LIMIT = 16 * 1024 * 1024;
const CODEC_PATH = /^\/codec\/(encode|decode)\/?(\?.*)?$/;

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, { message: 'must be base64' });
/** A payload in Temporal's JSON form, as the Web UI and `temporal` send it. */
const payloadJson = z.object({
  metadata: z.record(z.string(), base64).optional(),
  data: base64.optional(),
});
const payloadsBody = z.object({ payloads: z.array(payloadJson) });
type PayloadJson = z.infer<typeof payloadJson>;

/**
 * A browser asks before it sends the Web UI's request with its headers, and asks without them:
 * the bearer token is not asked of this one.
 */
export function isCodecPreflight(request: Pick<FastifyRequest, 'method' | 'url'>): boolean {
  return request.method === 'OPTIONS' && CODEC_PATH.test(request.url);
}

/**
 * Temporal's codec-server protocol (`POST /codec/decode`, `POST /codec/encode`), so the Web UI
 * and `temporal --codec-endpoint` show the encrypted payloads in the clear, to those with the
 * API's token. Without a payload key they gzip and gunzip the large payloads of big sprints.
 */
export function registerCodecRoutes(app: ZodApp, config: Readonly<Config>): void {
  const codec = payloadCodec(config.temporal.payloadKeys);
  const origin = webUiOrigin(config);
  // On every answer, errors included: a browser hides an answer without them from the Web UI.
  app.addHook('onSend', async (request, reply) => {
    if (origin && CODEC_PATH.test(request.url)) void reply.headers(corsHeaders(origin));
  });

  for (const direction of ['decode', 'encode'] as const) {
    app.options(`/codec/${direction}`, { schema: { hide: true } }, async (_request, reply) =>
      reply.code(204).send(),
    );
    app.post(
      `/codec/${direction}`,
      {
        bodyLimit: CODEC_BODY_LIMIT,
        schema: {
          summary: `${direction === 'decode' ? 'Decode' : 'Encode'} payloads (Temporal's codec server)`,
          body: payloadsBody,
          response: { 200: payloadsBody, ...errorResponses },
        },
      },
      async (request) => ({
        payloads: await transform(codec, direction, request.body.payloads),
      }),
    );
  }
}

async function transform(
  codec: PayloadCodec,
  direction: 'decode' | 'encode',
  payloads: PayloadJson[],
): Promise<PayloadJson[]> {
  try {
    const done = await codec[direction](payloads.map(fromJson));
    return done.map(toJson);
  } catch (error) {
    if (error instanceof PayloadCodecError) throw new ApiError(400, error.message);
    throw error;
  }
}

function fromJson(payload: PayloadJson): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [name, value] of Object.entries(payload.metadata ?? {})) {
    metadata[name] = Buffer.from(value, 'base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

function toJson(payload: Payload): PayloadJson {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload.metadata ?? {})) {
    metadata[name] = Buffer.from(value).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? []).toString('base64') };
}

/** The Web UI's origin: the only page that may call the codec from a browser. */
function webUiOrigin(config: Readonly<Config>): string | undefined {
  const url = webUiUrl(config);
  return url ? new URL(url).origin : undefined;
}

function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type, x-namespace',
    'access-control-allow-credentials': 'true',
    'access-control-max-age': '600',
    vary: 'origin',
  };
}
