/** In-memory issues, comments and pull requests, shaped as GitHub's REST API returns them. */

export interface SimpleUser {
  login: string;
  id: number;
  node_id: string;
  type: 'User';
  site_admin: boolean;
  url: string;
  html_url: string;
}

export interface IssueComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: SimpleUser;
  created_at: string;
  updated_at: string;
  author_association: 'OWNER';
}

export interface Issue {
  id: number;
  node_id: string;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  locked: boolean;
  url: string;
  html_url: string;
  repository_url: string;
  comments_url: string;
  comments: number;
  user: SimpleUser;
  labels: unknown[];
  assignees: unknown[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  pull_request?: { url: string; html_url: string };
}

export interface BranchRef {
  label: string;
  ref: string;
}

export interface PullRequest {
  id: number;
  node_id: string;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  merged: boolean;
  locked: boolean;
  url: string;
  html_url: string;
  issue_url: string;
  head: BranchRef;
  base: BranchRef;
  user: SimpleUser;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: null;
}

interface RepoState {
  nextNumber: number;
  issues: Map<number, Issue>;
  pulls: Map<number, PullRequest>;
}

/** GitHub's timestamps carry no milliseconds. */
export const githubTime = (date = new Date()): string =>
  date.toISOString().replace(/\.\d{3}Z$/, 'Z');

const nodeId = (prefix: string, id: number): string =>
  `${prefix}_${Buffer.from(`sprintwave:${id}`).toString('base64url')}`;

export class GithubStore {
  // Above 2^31, as real GitHub ids are, so code that squeezes ids into int32 fails here too.
  private nextId = 3_000_000_000;
  private readonly repos = new Map<string, RepoState>();
  private readonly allComments = new Map<
    number,
    { repo: string; number: number; comment: IssueComment }
  >();
  readonly user: SimpleUser;

  constructor(
    private readonly apiUrl: string,
    login: string,
  ) {
    this.user = {
      login,
      id: 1,
      node_id: nodeId('U', 1),
      type: 'User',
      site_admin: false,
      url: `${apiUrl}/users/${login}`,
      html_url: `${apiUrl}/${login}`,
    };
  }

  createIssue(owner: string, repo: string, title: string, body: string | null = null): Issue {
    const state = this.repo(owner, repo);
    const number = state.nextNumber++;
    const id = this.nextId++;
    const now = githubTime();
    const url = `${this.repoUrl(owner, repo)}/issues/${number}`;
    const issue: Issue = {
      id,
      node_id: nodeId('I', id),
      number,
      title,
      body,
      state: 'open',
      locked: false,
      url,
      html_url: `${this.apiUrl}/${owner}/${repo}/issues/${number}`,
      repository_url: this.repoUrl(owner, repo),
      comments_url: `${url}/comments`,
      comments: 0,
      user: this.user,
      labels: [],
      assignees: [],
      created_at: now,
      updated_at: now,
      closed_at: null,
    };
    state.issues.set(number, issue);
    return issue;
  }

  /** An issue, or a pull request seen through the issues API, as GitHub does. */
  issue(owner: string, repo: string, number: number): Issue | undefined {
    const state = this.repos.get(`${owner}/${repo}`);
    const issue = state?.issues.get(number);
    if (issue) return { ...issue, comments: this.comments(owner, repo, number).length };
    const pull = state?.pulls.get(number);
    if (!pull) return undefined;
    return {
      ...pull,
      url: pull.issue_url,
      repository_url: this.repoUrl(owner, repo),
      comments_url: `${pull.issue_url}/comments`,
      comments: this.comments(owner, repo, number).length,
      labels: [],
      assignees: [],
      pull_request: { url: pull.url, html_url: pull.html_url },
    };
  }

  comments(owner: string, repo: string, number: number): IssueComment[] {
    const key = `${owner}/${repo}`;
    return [...this.allComments.values()]
      .filter((entry) => entry.repo === key && entry.number === number)
      .map((entry) => ({ ...entry.comment }));
  }

  comment(owner: string, repo: string, id: number): IssueComment | undefined {
    const entry = this.allComments.get(id);
    return entry?.repo === `${owner}/${repo}` ? { ...entry.comment } : undefined;
  }

  addComment(owner: string, repo: string, number: number, body: string): IssueComment {
    const id = this.nextId++;
    const now = githubTime();
    const comment: IssueComment = {
      id,
      node_id: nodeId('IC', id),
      url: `${this.repoUrl(owner, repo)}/issues/comments/${id}`,
      html_url: `${this.apiUrl}/${owner}/${repo}/issues/${number}#issuecomment-${id}`,
      issue_url: `${this.repoUrl(owner, repo)}/issues/${number}`,
      body,
      user: this.user,
      created_at: now,
      updated_at: now,
      author_association: 'OWNER',
    };
    this.allComments.set(id, { repo: `${owner}/${repo}`, number, comment });
    return { ...comment };
  }

  updateComment(owner: string, repo: string, id: number, body: string): IssueComment | undefined {
    const entry = this.allComments.get(id);
    if (entry?.repo !== `${owner}/${repo}`) return undefined;
    entry.comment = { ...entry.comment, body, updated_at: githubTime() };
    return { ...entry.comment };
  }

  deleteComment(owner: string, repo: string, id: number): boolean {
    return this.comment(owner, repo, id) !== undefined && this.allComments.delete(id);
  }

  pulls(owner: string, repo: string): PullRequest[] {
    return [...(this.repos.get(`${owner}/${repo}`)?.pulls.values() ?? [])];
  }

  pull(owner: string, repo: string, number: number): PullRequest | undefined {
    return this.repos.get(`${owner}/${repo}`)?.pulls.get(number);
  }

  createPull(
    owner: string,
    repo: string,
    input: { title: string; head: string; base: string; body?: string; draft?: boolean },
  ): PullRequest {
    const state = this.repo(owner, repo);
    const number = state.nextNumber++;
    const id = this.nextId++;
    const now = githubTime();
    const pull: PullRequest = {
      id,
      node_id: nodeId('PR', id),
      number,
      title: input.title,
      body: input.body ?? null,
      state: 'open',
      draft: input.draft ?? false,
      merged: false,
      locked: false,
      url: `${this.repoUrl(owner, repo)}/pulls/${number}`,
      html_url: `${this.apiUrl}/${owner}/${repo}/pull/${number}`,
      issue_url: `${this.repoUrl(owner, repo)}/issues/${number}`,
      head: branchRef(owner, input.head),
      base: branchRef(owner, input.base),
      user: this.user,
      created_at: now,
      updated_at: now,
      closed_at: null,
      merged_at: null,
    };
    state.pulls.set(number, pull);
    return pull;
  }

  updatePull(
    owner: string,
    repo: string,
    number: number,
    changes: { title?: string; body?: string; state?: 'open' | 'closed'; base?: string },
  ): PullRequest | undefined {
    const pull = this.pull(owner, repo, number);
    if (!pull) return undefined;
    const now = githubTime();
    if (changes.title !== undefined) pull.title = changes.title;
    if (changes.body !== undefined) pull.body = changes.body;
    if (changes.base !== undefined) pull.base = branchRef(owner, changes.base);
    if (changes.state !== undefined && changes.state !== pull.state) {
      pull.state = changes.state;
      pull.closed_at = changes.state === 'closed' ? now : null;
    }
    pull.updated_at = now;
    return pull;
  }

  private repo(owner: string, repo: string): RepoState {
    const key = `${owner}/${repo}`;
    let state = this.repos.get(key);
    if (!state)
      this.repos.set(key, (state = { nextNumber: 1, issues: new Map(), pulls: new Map() }));
    return state;
  }

  private repoUrl(owner: string, repo: string): string {
    return `${this.apiUrl}/repos/${owner}/${repo}`;
  }
}

/** `owner:branch` or `branch`, as the pulls API accepts `head`. */
export function branchRef(owner: string, name: string): BranchRef {
  const [labelOwner, ref] = name.includes(':') ? name.split(':', 2) : [owner, name];
  return { label: `${labelOwner}:${ref}`, ref: ref ?? name };
}
