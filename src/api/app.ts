import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Client, Connection } from '@temporalio/client';
import Fastify from 'fastify';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { planJson, planSprint } from '../domain/plan';
import type { SprintProgress } from '../domain/progress';
import { renderProgressTable, renderSummary } from '../domain/render-progress';
import { shown } from '../domain/shown';
import { sprintStatusJson } from '../schemas/status-json';
import { sprintWebUiLinks } from '../domain/web-ui';
import type { WebUiAddress } from '../domain/web-ui';
import type { Config } from '../runtime/config';
import { httpLogging } from '../runtime/logger';
import { webUiAddress } from '../runtime/temporal';
import { checkSprintSpec, formatPath } from '../schemas/sprint-spec';
import { BadInput, ServiceError } from '../service/errors';
import type { RefusalKind } from '../service/errors';
import { runnableProblems } from '../service/runnable';
import { cancelSprint, listSprints, retryPackage, startNewSprint } from '../service/sprints';
import { parseSprintText } from '../schemas/sprint-text';
import { ApiError, invalidInput } from './errors';
import type { Issue } from './errors';
import {
  acceptedBody,
  errorResponses,
  healthBody,
  listBody,
  listQuery,
  packageParams,
  planBody,
  sprintBody,
  sprintParams,
  startedBody,
  statusBody,
} from './schemas';
import { isPublicBoardPath, registerBoardRoutes } from './board/routes';
import { isCodecPreflight, registerCodecRoutes } from './codec-routes';
import { registerPackageRoutes } from './package-routes';
import { registerScheduleRoutes } from './schedule-routes';
import { forgetSprintState, sprintState } from './sprints';
import { registerSprintStream } from './stream';
import type { StreamOptions } from './stream';

export interface AppDeps {
  client: Client;
  config: Readonly<Config>;
  /** The process's pino logger, Fastify's logger options, or true/false (default: no logging). */
  logger?: boolean | object;
  /** Requests per minute per client (default 600). */
  rateLimit?: number;
  /** Poll and keep-alive intervals of `GET /sprints/:id/stream`. */
  stream?: StreamOptions;
}

export const BODY_LIMIT = 1024 * 1024;
/** Fastify's default, named here for the 414 answer; ids are at most 64 characters. */
export const MAX_PARAM_LENGTH = 100;
/** What an error answer repeats of a message that may hold the request's own text. */
const SHOWN_MESSAGE_CHARACTERS = 200;
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** The sprint API: routes, validation, auth, OpenAPI at /docs and one error handler. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { client, config } = deps;
  const webUi = webUiAddress(config);
  const statusJson = (state: SprintProgress) => statusWithLinks(state, webUi);
  const app = Fastify({
    ...httpLogging(deps.logger),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: handleRoutingError,
  });

  // The id a 500 names is the `reqId` of the request's log lines.
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // A change made here is seen by the next read of the sprint, not a kept earlier answer.
  app.addHook('onResponse', async (request) => {
    const id = (request.params as { id?: unknown } | undefined)?.id;
    const onSprint = request.routeOptions.url?.startsWith('/sprints/:id') === true;
    if (request.method !== 'GET' && onSprint && typeof id === 'string') {
      forgetSprintState(client, id);
    }
  });
  app.setValidatorCompiler(sprintAwareValidator);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `No route ${request.method} ${shown(request.url)}.` });
  });

  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    const parsed = parseSprintText(String(body), 'body');
    if (parsed.ok) done(null, parsed.value);
    else done(invalidInput(parsed.problems, 'The body is not valid YAML'), undefined);
  });

  const token = config.api.token;
  if (token) {
    const expected = digest(token);
    app.addHook('onRequest', async (request) => {
      if (request.url === '/healthz' || request.url.startsWith('/healthz?')) return;
      if (isPublicBoardPath(request.url)) return;
      if (isCodecPreflight(request)) return;
      const header = request.headers.authorization ?? '';
      const match = /^Bearer (.+)$/.exec(header);
      if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
        throw new ApiError(401, 'A valid bearer token is required.');
      }
    });
  }

  await app.register(fastifyRateLimit, {
    max: deps.rateLimit ?? 600,
    timeWindow: '1 minute',
    // `after` is the time left in the window, not the window itself.
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        429,
        `Too many requests: at most ${context.max} a minute; try again in ${context.after}.`,
      ),
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'sprintwave',
        description: 'Runs software sprints as Temporal workflows.',
        version: '0.1.0',
      },
      components: token
        ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }
        : undefined,
      security: token ? [{ bearer: [] }] : undefined,
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/healthz',
    {
      schema: { summary: 'Liveness, and whether Temporal answers', response: { 200: healthBody } },
    },
    async () => ({ ok: true as const, temporal: await temporalHealth(client) }),
  );

  api.post(
    '/plan',
    {
      schema: {
        summary: 'Plan a sprint file (JSON or YAML): waves, critical path, scope',
        body: sprintBody,
        response: { 200: planBody, ...errorResponses },
      },
    },
    async (request) => planJson(planSprint(request.body)),
  );

  api.post(
    '/sprints',
    {
      schema: {
        summary: 'Start a sprint; its id is the workflow id',
        body: sprintBody,
        response: { 201: startedBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const spec = request.body;
      if (!path.isAbsolute(spec.repo)) {
        throw invalidInput([{ path: 'repo', message: 'must be an absolute path' }]);
      }
      const problems = await runnableProblems(spec, config);
      if (problems.length) throw invalidInput(problems);
      await startNewSprint(client, config, spec);
      const self = `/sprints/${encodeURIComponent(spec.id)}`;
      // No package has started yet: its page would not exist; GET /sprints/:id links them as they start.
      const links = { self, ...(webUi && sprintWebUiLinks(webUi, { id: spec.id, packages: [] })) };
      return reply.code(201).header('location', self).send({ id: spec.id, links });
    },
  );

  api.get(
    '/sprints',
    {
      schema: {
        summary: 'The sprints on this task queue, newest first',
        querystring: listQuery,
        response: { 200: listBody, ...errorResponses },
      },
    },
    async (request) => ({ sprints: await listSprints(client, config, request.query.status) }),
  );

  api.get(
    '/sprints/:id',
    {
      schema: {
        summary: 'The sprint status JSON: live while it runs, final once it ended',
        params: sprintParams,
        response: { 200: statusBody, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const state = await sprintState(client, id);
      return statusJson(state);
    },
  );

  api.get(
    '/sprints/:id/report',
    {
      schema: {
        summary: 'The progress table as Markdown, with the final summary once the sprint ended',
        params: sprintParams,
        produces: ['text/markdown'],
        response: { 200: z.string(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const state = await sprintState(client, request.params.id);
      // Not a GitHub comment: the whole table and summary, at any size.
      const parts = [renderProgressTable(state, Date.now(), Infinity)];
      if (state.status !== 'running') parts.push(renderSummary(state, Infinity));
      return reply.type('text/markdown; charset=utf-8').send(`${parts.join('\n\n')}\n`);
    },
  );

  api.post(
    '/sprints/:id/cancel',
    {
      schema: {
        summary: 'Cancel a running sprint: executors stop, worktrees are kept',
        params: sprintParams,
        response: { 202: acceptedBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await cancelSprint(client, id, 'cancelled through the HTTP API');
      return reply.code(202).send({ id, status: 'running' as const });
    },
  );

  api.post(
    '/sprints/:id/packages/:wp/retry',
    {
      schema: {
        summary:
          'Retry a failed or cancelled package: in the running sprint, or by resuming an ended one',
        params: packageParams,
        response: { 202: statusBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id, wp } = request.params;
      const { state } = await retryPackage(client, config, id, wp);
      return reply.code(202).send(statusJson(state));
    },
  );

  registerSprintStream(api, { ...deps.stream, client, statusJson });
  registerPackageRoutes(api, { client });
  registerScheduleRoutes(api, { client, config });
  registerBoardRoutes(api);
  registerCodecRoutes(api, config);
  return app;
}

function statusWithLinks(state: SprintProgress, webUi: WebUiAddress | undefined) {
  return sprintStatusJson(state, { self: `/sprints/${encodeURIComponent(state.id)}` }, webUi);
}

/** Sprint bodies are checked like sprint files (schema, then graph); the rest by zod. */
const sprintAwareValidator: FastifySchemaCompiler<z.ZodType> = (route) => {
  if (route.schema !== sprintBody) return validatorCompiler(route);
  return (data: unknown) => {
    const checked = checkSprintSpec(data);
    return checked.ok ? { value: checked.spec } : { error: invalidInput(checked.problems) };
  };
};

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ApiError) return sendApiError(reply, error);
  if (error instanceof BadInput) {
    return sendApiError(reply, invalidInput(error.problems, `Invalid ${error.what}`));
  }
  if (error instanceof ServiceError) {
    return reply.code(HTTP_STATUS[error.kind]).send({ error: error.message });
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues: Issue[] = error.validation.map((issue) => ({
      path: zodPath(error.validationContext, issue.instancePath),
      message: issue.message ?? 'is not valid',
    }));
    return reply.code(400).send({ error: 'Invalid request', issues });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const issues = bodyIssues(error);
    // Fastify's messages may repeat a header or the path.
    const message = shown(error.message, SHOWN_MESSAGE_CHARACTERS);
    return reply.code(status).send(issues ? { error: message, issues } : { error: message });
  }
  reply.log.error({ err: error }, 'request failed');
  return reply
    .code(500)
    .send({ error: `Internal error; see the server log (request ${request.id}).` });
}

/** The service's refusals as HTTP answers; `unavailable`: Temporal answered, without the state. */
const HTTP_STATUS: Record<RefusalKind, number> = {
  'bad-input': 400,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
};

function sendApiError(reply: FastifyReply, error: ApiError) {
  return reply
    .code(error.statusCode)
    .send(error.issues ? { error: error.message, issues: error.issues } : { error: error.message });
}

/** What the router refuses before any route runs, answered like every other error. */
function handleRoutingError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const why = `has a part longer than ${MAX_PARAM_LENGTH} characters`;
    const message = `URI Too Long: the path ${why}.`;
    return sendApiError(reply, new ApiError(414, message, [{ path: 'url', message: why }]));
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    const why = 'has a part that is not valid percent-encoding';
    const message = `Bad Request: the path ${why}.`;
    return sendApiError(reply, new ApiError(400, message, [{ path: 'url', message: why }]));
  }
  return handleError(error, request, reply);
}

/** A body Fastify could not read (empty, not JSON, too large, of another type) is one issue at `body`. */
function bodyIssues(error: FastifyError): Issue[] | undefined {
  if (!error.code?.startsWith('FST_ERR_CTP_')) return undefined;
  const message =
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
      ? 'is not valid JSON, or holds a __proto__ or constructor.prototype key, which is refused'
      : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'is empty'
        : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `is larger than ${BODY_LIMIT} bytes`
          : shown(error.message, SHOWN_MESSAGE_CHARACTERS);
  return [{ path: 'body', message }];
}

/** `/packages/1/dependsOn/0` in the querystring → `packages[1].dependsOn[0]`. */
function zodPath(context: string | undefined, instancePath: string): string {
  const keys = instancePath
    .split('/')
    .filter(Boolean)
    .map((key) => (/^\d+$/.test(key) ? Number(key) : key));
  return keys.length ? formatPath(keys) : (context ?? 'request');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

async function temporalHealth(client: Client): Promise<'up' | 'down'> {
  const connection = client.connection as Partial<Connection>;
  try {
    if (connection.healthService && connection.withDeadline) {
      const health = connection.healthService;
      const response = await connection.withDeadline(Date.now() + 2_000, () => health.check({}));
      return response.status === 1 ? 'up' : 'down';
    }
    await client.withDeadline(Date.now() + 2_000, () => client.workflowService.getSystemInfo({}));
    return 'up';
  } catch {
    return 'down';
  }
}
