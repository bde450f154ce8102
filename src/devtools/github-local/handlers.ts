import { branchRef } from './store';
import type { GithubStore } from './store';

export const DOCS_URL = 'https://docs.github.com/rest';

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** The request's URL without the query, to build `Link` headers from. */
  url: string;
  authenticated: boolean;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RateLimit {
  limit: number;
  remaining: number;
  reset: number;
  used: number;
  resource: 'core';
}

export interface HandlerContext {
  store: GithubStore;
  rateLimit(): RateLimit;
  /** Whether the repository has the branch; every branch exists when undefined. */
  hasBranch?(owner: string, repo: string, branch: string): boolean | Promise<boolean>;
}

export type Handler = (req: ApiRequest, ctx: HandlerContext) => ApiResponse | Promise<ApiResponse>;

export const githubError = (status: number, message: string, extra: object = {}): ApiResponse => ({
  status,
  body: { message, documentation_url: DOCS_URL, status: String(status), ...extra },
});

const notFound = (): ApiResponse => githubError(404, 'Not Found');

const validationFailed = (errors: object[]): ApiResponse =>
  githubError(422, 'Validation Failed', { errors });

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

/** The server also runs with validation off, so handlers still refuse a body without its fields. */
function missingFields(body: Record<string, unknown>, resource: string, fields: string[]) {
  const missing = fields.filter((field) => body[field] === undefined || body[field] === null);
  const errors = missing.map((field) => ({ resource, code: 'missing_field', field }));
  return errors.length ? validationFailed(errors) : undefined;
}

/** GitHub's limit on an issue, comment or pull request body, in characters. */
export const MAX_BODY_CHARACTERS = 65_536;

/** Characters as GitHub counts them: code points, so an emoji of two UTF-16 units is one. */
function characters(text: string): number {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

/** GitHub refuses a body over its limit, and says so in the same words. */
function bodyTooLong(body: Record<string, unknown>, resource: string): ApiResponse | undefined {
  if (typeof body.body !== 'string' || characters(body.body) <= MAX_BODY_CHARACTERS) {
    return undefined;
  }
  const message = `Body is too long (maximum is ${MAX_BODY_CHARACTERS} characters)`;
  return validationFailed([{ resource, code: 'unprocessable', field: 'data', message }]);
}

function issueNumber(raw: string | undefined): number {
  return /^\d+$/.test(raw ?? '') ? Number(raw) : NaN;
}

/** `per_page` (default 30, at most 100) and `page`, with a `Link` header as GitHub sends it. */
function paginate<T>(items: T[], req: ApiRequest): ApiResponse {
  const perPage = Math.min(Math.max(Number(req.query.get('per_page')) || 30, 1), 100);
  const page = Math.max(Math.trunc(Number(req.query.get('page'))) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const pageUrl = (n: number): string => {
    const query = new URLSearchParams(req.query);
    query.set('per_page', String(perPage));
    query.set('page', String(n));
    return `${req.url}?${query.toString()}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, last))}>; rel="prev"`);
  if (page < last)
    links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
  const body = items.slice((page - 1) * perPage, page * perPage);
  return { status: 200, body, headers: links.length ? { link: links.join(', ') } : {} };
}

const getIssue: Handler = ({ params }, { store }) => {
  const { owner = '', repo = '' } = params;
  const issue = store.issue(owner, repo, issueNumber(params.issue_number));
  return issue ? ok(issue) : notFound();
};

const createIssue: Handler = ({ params, body }, { store }) => {
  const { owner = '', repo = '' } = params;
  const invalid = missingFields(body, 'Issue', ['title']) ?? bodyTooLong(body, 'Issue');
  if (invalid) return invalid;
  const text = typeof body.body === 'string' ? body.body : null;
  return ok(store.createIssue(owner, repo, String(body.title), text), 201);
};

const listComments: Handler = (req, { store }) => {
  const { owner = '', repo = '' } = req.params;
  const number = issueNumber(req.params.issue_number);
  if (!store.issue(owner, repo, number)) return notFound();
  const since = req.query.get('since');
  const comments = store
    .comments(owner, repo, number)
    .filter((comment) => !since || comment.updated_at >= since);
  return paginate(comments, req);
};

const createComment: Handler = ({ params, body }, { store }) => {
  const { owner = '', repo = '' } = params;
  const number = issueNumber(params.issue_number);
  if (!store.issue(owner, repo, number)) return notFound();
  const invalid =
    missingFields(body, 'IssueComment', ['body']) ?? bodyTooLong(body, 'IssueComment');
  if (invalid) return invalid;
  return ok(store.addComment(owner, repo, number, String(body.body)), 201);
};

const getComment: Handler = ({ params }, { store }) => {
  const comment = store.comment(params.owner ?? '', params.repo ?? '', Number(params.comment_id));
  return comment ? ok(comment) : notFound();
};

const updateComment: Handler = ({ params, body }, { store }) => {
  const { owner = '', repo = '' } = params;
  const invalid =
    missingFields(body, 'IssueComment', ['body']) ?? bodyTooLong(body, 'IssueComment');
  if (invalid) return invalid;
  const comment = store.updateComment(owner, repo, Number(params.comment_id), String(body.body));
  return comment ? ok(comment) : notFound();
};

const deleteComment: Handler = ({ params }, { store }) => {
  const deleted = store.deleteComment(
    params.owner ?? '',
    params.repo ?? '',
    Number(params.comment_id),
  );
  return deleted ? { status: 204 } : notFound();
};

const listPulls: Handler = (req, { store }) => {
  const { owner = '', repo = '' } = req.params;
  const state = req.query.get('state') ?? 'open';
  const head = req.query.get('head');
  const base = req.query.get('base');
  const pulls = store
    .pulls(owner, repo)
    .filter((pull) => state === 'all' || pull.state === state)
    .filter(
      (pull) => !head || (head.includes(':') ? pull.head.label === head : pull.head.ref === head),
    )
    .filter((pull) => !base || pull.base.ref === base)
    .sort((a, b) => b.number - a.number);
  return paginate(pulls, req);
};

/** GitHub refuses a pull request whose head or base branch it does not have. */
async function unknownBranches(
  ctx: HandlerContext,
  owner: string,
  repo: string,
  branches: { head: string; base: string },
): Promise<ApiResponse | undefined> {
  if (!ctx.hasBranch) return undefined;
  const errors: object[] = [];
  for (const [field, branch] of Object.entries(branches)) {
    if (!(await ctx.hasBranch(owner, repo, branch))) {
      errors.push({ resource: 'PullRequest', field, code: 'invalid' });
    }
  }
  return errors.length ? validationFailed(errors) : undefined;
}

const createPull: Handler = async ({ params, body }, ctx) => {
  const { store } = ctx;
  const { owner = '', repo = '' } = params;
  const invalid =
    missingFields(body, 'PullRequest', ['title', 'head', 'base']) ??
    bodyTooLong(body, 'PullRequest');
  if (invalid) return invalid;
  const head = branchRef(owner, String(body.head));
  const base = String(body.base);
  const unknown = await unknownBranches(ctx, owner, repo, { head: head.ref, base });
  if (unknown) return unknown;
  const open = store
    .pulls(owner, repo)
    .find(
      (pull) => pull.state === 'open' && pull.head.label === head.label && pull.base.ref === base,
    );
  if (open) {
    const message = `A pull request already exists for ${head.label}.`;
    return validationFailed([{ resource: 'PullRequest', code: 'custom', message }]);
  }
  const input = {
    title: String(body.title),
    head: String(body.head),
    base,
    body: typeof body.body === 'string' ? body.body : undefined,
    draft: body.draft === true,
  };
  return ok(store.createPull(owner, repo, input), 201);
};

const updatePull: Handler = ({ params, body }, { store }) => {
  const { owner = '', repo = '' } = params;
  const { title, body: text, state, base } = body;
  if (state !== undefined && state !== 'open' && state !== 'closed') {
    return validationFailed([{ resource: 'PullRequest', code: 'invalid', field: 'state' }]);
  }
  const tooLong = bodyTooLong(body, 'PullRequest');
  if (tooLong) return tooLong;
  const changes = {
    title: typeof title === 'string' ? title : undefined,
    body: typeof text === 'string' ? text : undefined,
    state: state as 'open' | 'closed' | undefined,
    base: typeof base === 'string' ? base : undefined,
  };
  const pull = store.updatePull(owner, repo, issueNumber(params.pull_number), changes);
  return pull ? ok(pull) : notFound();
};

const getUser: Handler = ({ authenticated }, { store }) =>
  authenticated
    ? ok({ ...store.user, name: null, email: null })
    : githubError(401, 'Requires authentication');

const getRateLimit: Handler = (_req, { rateLimit }) => {
  const core = rateLimit();
  return ok({ resources: { core }, rate: core });
};

export interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** GitHub's path template, as its OpenAPI description writes it. */
  template: string;
  handler: Handler;
}

/** The endpoints this server answers; GitHub has many more. */
export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', template: '/repos/{owner}/{repo}/issues/{issue_number}', handler: getIssue },
  { method: 'POST', template: '/repos/{owner}/{repo}/issues', handler: createIssue },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    handler: listComments,
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    handler: createComment,
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    handler: getComment,
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    handler: updateComment,
  },
  {
    method: 'DELETE',
    template: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    handler: deleteComment,
  },
  { method: 'GET', template: '/repos/{owner}/{repo}/pulls', handler: listPulls },
  { method: 'POST', template: '/repos/{owner}/{repo}/pulls', handler: createPull },
  { method: 'PATCH', template: '/repos/{owner}/{repo}/pulls/{pull_number}', handler: updatePull },
  { method: 'GET', template: '/user', handler: getUser },
  { method: 'GET', template: '/rate_limit', handler: getRateLimit },
];
