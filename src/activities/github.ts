import { Octokit } from '@octokit/rest';
import { ApplicationFailure } from '@temporalio/common';
import { githubOwnerAndName } from '../schemas/github-repo';
import { githubFailure, isHttpError, isNotFound } from './github-errors';

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
  const parts = githubOwnerAndName(repo);
  if (!parts || !Number.isInteger(issue) || issue < 1) {
    throw ApplicationFailure.nonRetryable(
      `Not a GitHub issue: ${JSON.stringify(repo)}#${issue} (expected owner/name and a positive number)`,
      'GithubRejected',
    );
  }
  return { owner: parts.owner, repo: parts.name, issue, label: `${repo}#${issue}` };
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

  async function call<T>(
    action: string,
    target: Pick<Target, 'label'>,
    run: () => Promise<T>,
  ): Promise<T> {
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

    ...pullRequestActivities(octokit, call),
  };
}

export interface UpsertPullRequestInput {
  sprintId: string;
  /** `owner/name` */
  repo: string;
  /** The branch with the work, in the same repository. */
  head: string;
  base: string;
  title: string;
  body: string;
  /** Used when it is opened: GitHub's REST API cannot turn a draft back and forth. */
  draft: boolean;
}

export interface UpsertPullRequestResult {
  number: number;
  url: string;
  draft: boolean;
  created: boolean;
  unchanged: boolean;
}

interface RepoTarget {
  owner: string;
  repo: string;
  /** `owner/name`, for messages. */
  label: string;
}

interface KnownPull {
  number: number;
  url: string;
  title: string;
  body: string;
  draft: boolean;
  base: string;
}

type GithubCall = <T>(
  action: string,
  target: Pick<RepoTarget, 'label'>,
  run: () => Promise<T>,
) => Promise<T>;

function parseRepo(repo: string): RepoTarget {
  const parts = githubOwnerAndName(repo);
  if (!parts) {
    throw ApplicationFailure.nonRetryable(
      `Not a GitHub repository: ${JSON.stringify(repo)} (expected owner/name)`,
      'GithubRejected',
    );
  }
  return { owner: parts.owner, repo: parts.name, label: repo };
}

const knownPull = (pull: {
  number: number;
  html_url: string;
  title: string;
  body?: string | null;
  draft?: boolean;
  base: { ref: string };
}): KnownPull => ({
  number: pull.number,
  url: pull.html_url,
  title: pull.title,
  body: pull.body ?? '',
  draft: pull.draft ?? false,
  base: pull.base.ref,
});

/** GitHub answers 422 when an open pull request for the same head and base exists already. */
function alreadyOpen(error: unknown): boolean {
  if (!isHttpError(error) || error.status !== 422) return false;
  return /already exists/i.test(JSON.stringify(error.response?.data ?? ''));
}

/** Pull requests, with the same client and the same error rules as comments. */
function pullRequestActivities(octokit: () => Octokit, call: GithubCall) {
  /** The open pull request of this head: ours by its marker, else one into the same base. */
  async function findOpenPull(
    t: RepoTarget,
    input: UpsertPullRequestInput,
    marker: string,
  ): Promise<KnownPull | undefined> {
    const params = {
      owner: t.owner,
      repo: t.repo,
      head: `${t.owner}:${input.head}`,
      state: 'open' as const,
      per_page: 100,
    };
    const open = await call('listing pull requests of', t, () =>
      octokit().paginate(octokit().rest.pulls.list, params),
    );
    const found =
      open.find((pull) => carries(pull.body ?? '', marker)) ??
      open.find((pull) => pull.base.ref === input.base);
    return found && knownPull(found);
  }

  /** Undefined when one was opened meanwhile (a retry racing an earlier attempt). */
  async function openPull(
    t: RepoTarget,
    input: UpsertPullRequestInput,
    text: { title: string; body: string },
  ): Promise<KnownPull | undefined> {
    const params = { owner: t.owner, repo: t.repo, head: input.head, base: input.base };
    return call('opening a pull request on', t, async () => {
      try {
        const response = await octokit().rest.pulls.create({
          ...params,
          ...text,
          draft: input.draft,
        });
        return knownPull(response.data);
      } catch (error) {
        if (alreadyOpen(error)) return undefined;
        throw error;
      }
    });
  }

  async function editPull(
    t: RepoTarget,
    pull: KnownPull,
    text: { title: string; body: string },
  ): Promise<{ pull: KnownPull; unchanged: boolean }> {
    if (pull.title === text.title && sameBody(pull.body, text.body)) {
      return { pull, unchanged: true };
    }
    const params = { owner: t.owner, repo: t.repo, pull_number: pull.number, ...text };
    const response = await call('updating a pull request on', t, () =>
      octokit().rest.pulls.update(params),
    );
    return { pull: knownPull(response.data), unchanged: false };
  }

  return {
    /**
     * Opens the pull request from `head` into `base`, or updates the one already open for
     * that head: never a second one. Idempotent: a retry finds it by head or by its marker.
     */
    async upsertPullRequest(input: UpsertPullRequestInput): Promise<UpsertPullRequestResult> {
      const target = parseRepo(input.repo);
      const marker = commentMarker(input.sprintId, 'pull-request');
      const text = { title: input.title, body: withMarker(input.body, marker) };
      const result = (pull: KnownPull, created: boolean, unchanged: boolean) => ({
        number: pull.number,
        url: pull.url,
        draft: pull.draft,
        created,
        unchanged,
      });
      const open = await findOpenPull(target, input, marker);
      if (!open) {
        const opened = await openPull(target, input, text);
        if (opened) return result(opened, true, false);
      }
      const existing = open ?? (await findOpenPull(target, input, marker));
      if (!existing) {
        throw ApplicationFailure.retryable(
          `GitHub said a pull request from ${input.head} is open on ${input.repo}, but lists none`,
          'GithubUnavailable',
        );
      }
      const { pull, unchanged } = await editPull(target, existing, text);
      return result(pull, false, unchanged);
    },
  };
}
