import type { AddressInfo } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildGithubApp } from './app';
import { FaultQueue, faultResponse } from './faults';
import type { Fault } from './faults';
import { githubError } from './handlers';
import type { ApiResponse, Handler } from './handlers';
import { githubRoutes, validateRequest } from './openapi';
import { GithubStore } from './store';
import type { IssueComment, PullRequest } from './store';
import { isObject, parseBody, rateLimiter, recordedHeaders, send } from './wire';

export type { Fault } from './faults';
export type { IssueComment, Issue, PullRequest } from './store';

export interface LocalGithubOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** When set, requests need `Authorization: token X` or `Bearer X`, else 401. */
  token?: string;
  /** Check every request against GitHub's OpenAPI description (default true). */
  validate?: boolean;
  /** Login of the token's owner, as `GET /user` and comment authors show it. */
  login?: string;
  /**
   * Whether a repository has a branch (say, read from the bare repository a test pushes to):
   * pull requests from or into a missing branch are refused, as GitHub does. Unset: every
   * branch exists.
   */
  hasBranch?(owner: string, repo: string, branch: string): boolean | Promise<boolean>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names; `authorization` is redacted. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** The status answered; 0 while pending or when the connection was reset. */
  status: number;
  fault?: Fault;
  /** When the request arrived (epoch ms). */
  at: number;
}

export interface LocalGithub {
  /** Base URL to use as GITHUB_API_URL. */
  url: string;
  requests: RecordedRequest[];
  comments(owner: string, repo: string, issue: number): IssueComment[];
  /** Every pull request of the repository, open and closed, oldest first. */
  pulls(owner: string, repo: string): PullRequest[];
  /** Issues exist only once created (here or by `POST .../issues`); others answer 404. */
  createIssue(owner: string, repo: string, title: string): number;
  fail(fault: Fault): void;
  clearFaults(): void;
  /** Every request is answered 503 until `up()`. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

type Auth = { ok: true; authenticated: boolean } | { ok: false; message: string };

/** Starts a local server that answers the GitHub REST endpoints sprintwave uses. */
export async function startLocalGithub(options: LocalGithubOptions = {}): Promise<LocalGithub> {
  const validate = options.validate ?? true;
  if (validate) githubRoutes(); // parse the description now, not inside the first request
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultQueue();
  const requests: RecordedRequest[] = [];
  const pauses = new Set<() => void>();
  const rateLimit = rateLimiter();
  let isDown = false;
  // The port is picked when the app listens, and the store's URLs name it.
  let url = '';
  let store: GithubStore | undefined;
  const storeOf = (): GithubStore =>
    (store ??= new GithubStore(url, options.login ?? 'sprintwave-local'));

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pauses.add(done);
    });
  }

  function authenticate(header: string | undefined): Auth {
    const presented = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    if (options.token === undefined) return { ok: true, authenticated: presented !== undefined };
    if (header === undefined) return { ok: false, message: 'Requires authentication' };
    return presented === options.token
      ? { ok: true, authenticated: true }
      : { ok: false, message: 'Bad credentials' };
  }

  /** What GitHub would answer, in the order it checks: up, faults, token, body, route. */
  async function decide(
    request: FastifyRequest,
    record: RecordedRequest,
    raw: string,
    handler: Handler | undefined,
  ): Promise<ApiResponse | 'reset'> {
    if (isDown) return githubError(503, 'Service Unavailable');
    const fault = faults.take(record.method, record.path);
    if (fault) {
      record.fault = fault;
      if (fault.delayMs) await pause(fault.delayMs);
      const faulted = faultResponse(fault);
      if (faulted) return faulted;
    }
    const auth = authenticate(request.headers.authorization);
    if (!auth.ok) return githubError(401, auth.message);
    const body = parseBody(raw);
    if (!body.ok) return githubError(400, 'Problems parsing JSON');
    if (validate) {
      const check = validateRequest(record.method, record.path, body.value);
      if (!check.ok && check.status === 404) return githubError(404, 'Not Found');
      if (!check.ok) {
        const docs = check.operation.documentationUrl;
        return githubError(422, 'Validation Failed', {
          errors: check.errors,
          documentation_url: docs,
        });
      }
    }
    if (!handler) {
      const response = githubError(404, 'Not Found');
      return validate
        ? { ...response, headers: { 'x-local-github': 'not-implemented' } }
        : response;
    }
    const apiRequest = {
      params: (request.params ?? {}) as Record<string, string>,
      query: new URL(request.url, url).searchParams,
      body: isObject(body.value) ? body.value : {},
      url: `${url}${record.path}`,
      authenticated: auth.authenticated,
    };
    return handler(apiRequest, {
      store: storeOf(),
      rateLimit: () => rateLimit.peek(),
      hasBranch: options.hasBranch,
    });
  }

  async function answer(
    request: FastifyRequest,
    reply: FastifyReply,
    raw: string,
    handler?: Handler,
  ): Promise<FastifyReply> {
    const target = new URL(request.url, url);
    const record: RecordedRequest = {
      method: request.method.toUpperCase(),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: recordedHeaders(request.headers),
      body: parseBody(raw).value ?? (raw || undefined),
      status: 0,
      at: Date.now(),
    };
    requests.push(record);
    const answered = await decide(request, record, raw, handler).catch((error: unknown) =>
      githubError(500, error instanceof Error ? error.message : 'Server Error'),
    );
    if (answered === 'reset') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    record.status = answered.status;
    const limit = record.path === '/rate_limit' ? rateLimit.peek() : rateLimit.take();
    return send(reply, answered, limit);
  }

  const app = buildGithubApp({
    answer,
    refuse: (reply, status, message) => send(reply, githubError(status, message), rateLimit.take()),
  });
  await app.listen({ port: options.port ?? 0, host });
  const { port } = app.server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const local = storeOf();

  return {
    url,
    requests,
    comments: (owner, repo, issue) => local.comments(owner, repo, issue),
    pulls: (owner, repo) => local.pulls(owner, repo).map((pull) => ({ ...pull })),
    createIssue: (owner, repo, title) => local.createIssue(owner, repo, title).number,
    fail: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    down: () => void (isDown = true),
    up: () => void (isDown = false),
    close: async () => {
      [...pauses].forEach((resume) => resume());
      // Before the held answers resume: a client still waiting sees its connection end.
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
