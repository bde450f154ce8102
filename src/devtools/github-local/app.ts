import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENDPOINTS } from './handlers';
import type { Handler } from './handlers';
import { readBody } from './wire';

/** What the server does with a request once Fastify has routed it. */
export interface Responder {
  /** Answers a request whose body text is `raw`; `handler` is undefined for an unserved route. */
  answer(
    request: FastifyRequest,
    reply: FastifyReply,
    raw: string,
    handler?: Handler,
  ): Promise<FastifyReply>;
  /** Answers a request Fastify could not read, e.g. one the client broke off. */
  refuse(reply: FastifyReply, status: number, message: string): FastifyReply;
}

/** `/repos/{owner}/{repo}` as Fastify writes it: `/repos/:owner/:repo`. */
const fastifyPath = (template: string): string => template.replace(/\{(\w+)\}/g, ':$1');

const handlers = new Map(
  ENDPOINTS.map(({ method, template, handler }) => [`${method} ${fastifyPath(template)}`, handler]),
);

const handlerOf = (request: FastifyRequest): Handler | undefined =>
  handlers.get(`${request.method} ${request.routeOptions.url}`);

const bodyText = (body: unknown): string => (typeof body === 'string' ? body : '');

/** A Fastify app with one route per GitHub endpoint served, answering as GitHub does. */
export function buildGithubApp(responder: Responder): FastifyInstance {
  const app = Fastify({
    // A body over GitHub's 65,536 characters is GitHub's 422 (in the handlers), not a 413.
    bodyLimit: 64 * 1024 * 1024,
    // GitHub has no HEAD routes: a HEAD request answers 404 like any other unserved one.
    exposeHeadRoutes: false,
    routerOptions: {
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: 16 * 1024,
    },
    // A path Fastify cannot decode is one GitHub does not serve, not a Fastify-shaped 400.
    frameworkErrors: (_error, request, reply) => {
      responder.answer(request, reply, '').catch(() => reply.raw.destroy());
    },
  });
  acceptAnyBody(app);
  const answerRoute = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    responder.answer(request, reply, bodyText(request.body), handlerOf(request));
  for (const { method, template } of ENDPOINTS) {
    app.route({ method, url: fastifyPath(template), handler: answerRoute });
  }
  // Unserved routes still meet faults, down(), the token check and validation, as served ones do.
  app.setNotFoundHandler(answerRoute);
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // Fastify refuses a malformed content type unread; here it is ignored, as every content type is.
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return responder.answer(request, reply, await readBody(request.raw), handlerOf(request));
    }
    return responder.refuse(reply, error.statusCode ?? 500, error.message);
  });
  return app;
}

/** Every body arrives as text, whatever its content type: the server parses JSON itself. */
function acceptAnyBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });
}
