import { Octokit } from '@octokit/rest';
import { ApplicationFailure } from '@temporalio/common';
import { githubFailure, isNotFound } from './github-errors';

export interface GithubDeps {
  token?: string;
  apiUrl: string;
  /** Per request; default 15000. */
  timeoutMs?: number;
}

/** What a comment is for: 'progress', 'summary', later e.g. 'standup:2026-11-21'. */
export type CommentKind = 'progress' | 'summary' | (string & Record<never, never>);

export interface UpsertCommentInput {
  sprintId: string;
  /** `owner/name` */
  repo: string;
  issue: number;
  kind: CommentKind;
  body: string;
}

export interface UpsertCommentResult {
  commentId: number;
  url: string;
  created: boolean;
  unchanged: boolean;
}

interface Target {
  owner: string;
  repo: string;
  issue: number;
  /** `owner/name#issue`, for messages. */
  label: string;
}

/** A comment as last written or read: enough to skip a needless PATCH. */
interface KnownComment {
  id: number;
  url: string;
  body: string;
}

/**
 * The hidden line that finds a sprint's comment again. Ids are escaped so that no id can
 * close the HTML comment, and the marker is matched as a whole line, so sprint `a` never
 * matches sprint `ab`.
 */
export function commentMarker(sprintId: string, kind: CommentKind): string {
  return `<!-- sprintwave:sprint=${escape(sprintId)} kind=${escape(kind)} -->`;
}

function escape(value: string): string {
  return value.replace(/[^A-Za-z0-9._:-]/g, (c) => encodeURIComponent(c).replace(/[!'()*~]/g, hex));
}

function hex(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

function withMarker(body: string, marker: string): string {
  return `${body.trimEnd()}\n\n${marker}`;
}

function carries(body: string | undefined, marker: string): boolean {
  return (body ?? '').split('\n').some((line) => line.trim() === marker);
}

/** Web-edited comments come back with CRLF; compare what the reader sees. */
function sameBody(a: string, b: string): boolean {
  return a.replace(/\r\n/g, '\n') === b.replace(/\r\n/g, '\n');
}

function parseTarget(repo: string, issue: number): Target {
  const match = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(repo);
  if (!match?.[1] || !match[2] || !Number.isInteger(issue) || issue < 1) {
    throw ApplicationFailure.nonRetryable(
      `Not a GitHub issue: ${JSON.stringify(repo)}#${issue} (expected owner/name and a positive number)`,
      'GithubRejected',
    );
  }
  return { owner: match[1], repo: match[2], issue, label: `${repo}#${issue}` };
}

/** GitHub activities bound to one token and API URL (never passed through workflow history). */
export function createGithubActivities(deps: GithubDeps) {
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const cache = new Map<string, KnownComment>();
  let client: Octokit | undefined;

  function octokit(): Octokit {
    if (client) return client;
    client = new Octokit({
      baseUrl: deps.apiUrl.replace(/\/+$/, ''),
      ...(deps.token ? { auth: deps.token } : {}),
      userAgent: 'sprintwave',
      // No retries here: Temporal retries the whole activity, with its own backoff.
      request: { retries: 0 },
    });
    // A fresh deadline for every request, pages of a listing included.
    client.hook.before('request', (options) => {
      options.request = { ...options.request, signal: AbortSignal.timeout(timeoutMs) };
    });
    return client;
  }

  async function call<T>(action: string, target: Target, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw githubFailure(error, { action, target: target.label, timeoutMs, token: deps.token });
    }
  }

  /** Undefined when the comment is gone (404): someone deleted it. */
  async function orGone<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  const known = (c: { id: number; html_url: string; body?: string | null }): KnownComment => ({
    id: c.id,
    url: c.html_url,
    body: c.body ?? '',
  });

  async function readComment(t: Target, id: number): Promise<KnownComment | undefined> {
    const params = { owner: t.owner, repo: t.repo, comment_id: id };
    const response = await call('reading a comment on', t, () =>
      orGone(() => octokit().rest.issues.getComment(params)),
    );
    return response && known(response.data);
  }

  async function editComment(
    t: Target,
    id: number,
    body: string,
  ): Promise<KnownComment | undefined> {
    const params = { owner: t.owner, repo: t.repo, comment_id: id, body };
    const response = await call('updating a comment on', t, () =>
      orGone(() => octokit().rest.issues.updateComment(params)),
    );
    return response && known(response.data);
  }

  /** The oldest comment carrying the marker; pages are read only until it turns up. */
  async function findComment(t: Target, marker: string): Promise<KnownComment | undefined> {
    const params = { owner: t.owner, repo: t.repo, issue_number: t.issue, per_page: 100 };
    return call('listing comments on', t, async () => {
      const pages = octokit().paginate.iterator(octokit().rest.issues.listComments, params);
      for await (const page of pages) {
        const found = page.data.find((comment) => carries(comment.body, marker));
        if (found) return known(found);
      }
      return undefined;
    });
  }

  async function createComment(t: Target, body: string): Promise<KnownComment> {
    const params = { owner: t.owner, repo: t.repo, issue_number: t.issue, body };
    const response = await call('commenting on', t, () =>
      octokit().rest.issues.createComment(params),
    );
    return known(response.data);
  }

  /**
   * Brings a known comment to `body`. `fresh` says `comment` was just read from GitHub;
   * a cached one is read again before deciding that nothing changed.
   */
  async function bringUpToDate(
    t: Target,
    comment: KnownComment,
    body: string,
    fresh: boolean,
  ): Promise<{ comment: KnownComment; unchanged: boolean } | undefined> {
    const current =
      fresh || !sameBody(comment.body, body) ? comment : await readComment(t, comment.id);
    if (!current) return undefined;
    if (sameBody(current.body, body)) return { comment: current, unchanged: true };
    const edited = await editComment(t, comment.id, body);
    return edited && { comment: edited, unchanged: false };
  }

  return {
    /**
     * Writes `body` to the one comment of this sprint and kind on the issue, creating it
     * the first time. Idempotent: a retry after a crash finds the comment by its marker.
     */
    async upsertIssueComment(input: UpsertCommentInput): Promise<UpsertCommentResult> {
      const target = parseTarget(input.repo, input.issue);
      const marker = commentMarker(input.sprintId, input.kind);
      const body = withMarker(input.body, marker);
      const key = JSON.stringify([
        input.repo.toLowerCase(),
        input.issue,
        input.sprintId,
        input.kind,
      ]);
      const done = (
        comment: KnownComment,
        created: boolean,
        unchanged: boolean,
      ): UpsertCommentResult => {
        cache.set(key, comment);
        return { commentId: comment.id, url: comment.url, created, unchanged };
      };

      const cached = cache.get(key);
      if (cached) {
        const result = await bringUpToDate(target, cached, body, false);
        if (result) return done(result.comment, false, result.unchanged);
        cache.delete(key);
      }
      const found = await findComment(target, marker);
      if (found) {
        const result = await bringUpToDate(target, found, body, true);
        if (result) return done(result.comment, false, result.unchanged);
      }
      return done(await createComment(target, body), true, false);
    },
  };
}
