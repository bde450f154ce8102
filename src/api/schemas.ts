import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sprintSpecSchema } from '../schemas/sprint-spec';
import { sprintStatusSchema, statusJsonSchema } from '../schemas/status-json';

export const sprintStatus = sprintStatusSchema;

/** The Fastify app with zod schemas, as every route file registers on it. */
export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export const errorBody = z.object({
  error: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** The error answers every route declares. */
export const errorResponses = { 400: errorBody, 401: errorBody, 404: errorBody, 409: errorBody };

/**
 * The sprint file as a request body. Routes with this body schema are validated by
 * `checkSprintSpec` (schema and graph, with the paths the CLI prints), not by zod alone.
 */
export const sprintBody = sprintSpecSchema;

export const sprintParams = z.object({ id: z.string().min(1) });
export const packageParams = z.object({ id: z.string().min(1), wp: z.string().min(1) });

export const healthBody = z.object({ ok: z.literal(true), temporal: z.enum(['up', 'down']) });

export const planBody = z.looseObject({
  waves: z.array(z.array(z.string())),
});

export const startedBody = z.object({
  id: z.string(),
  links: z.object({
    self: z.string(),
    webUi: z.string().optional(),
    packages: z.record(z.string(), z.string()).optional(),
  }),
});

export const listQuery = z.object({ status: sprintStatus.optional() });

export const listBody = z.object({
  sprints: z.array(
    z.object({ id: z.string(), status: sprintStatus, startedAt: z.string().optional() }),
  ),
});

/** The sprint status JSON (`sprintStatusJson`), field by field. */
export const statusBody = statusJsonSchema;

export const acceptedBody = z.object({ id: z.string(), status: sprintStatus });
