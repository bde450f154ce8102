/** The sprint file, as the schema accepts it (defaults applied). Pure types: used by every folder. */

import type { AgentName } from './agents';

export type Strategy = 'waves' | 'eager';
export type Scope = 'full' | 'mvp';
export type Priority = 'P0' | 'P1' | 'P2';

export interface WorkPackageSpec {
  id: string;
  title: string;
  dependsOn: string[];
  /** Shell command run with `sh -c` in the package's worktree. */
  run?: string;
  /** The work is done by an agent or a person who reports through the HTTP API. */
  external: boolean;
  /** An AI coding agent CLI run non-interactively in the worktree, told what to do by a prompt. */
  agent?: AgentName;
  /** The user's own instructions for the agent, added to the prompt built from the package. */
  prompt?: string;
  priority: Priority;
  mvp: boolean;
  points?: number;
  /** A duration such as `30m`; see parseDuration. */
  timeout?: string;
  /** External packages only: with no report within this duration (`30m`), the package fails as stalled. */
  lease?: string;
  /**
   * What a retried attempt starts from: `clean` (default) resets the worktree to the package's
   * base, keeping the earlier attempt's work under a ref; `resume` goes on from what it left.
   */
  retry?: 'clean' | 'resume';
  /** How long the package is expected to take (`2h`), for the deadline projection. */
  estimate?: string;
  /** The package's checklist (a plan's subtasks): an executor line `::done <id>` ticks one off. */
  tasks?: PackageTask[];
  /** What the package is for (a plan's Goal or Objective), for people and agent prompts. */
  description?: string;
  /** How to check the package on its own (a plan's Independent Test or Success Criteria). */
  test?: string;
}

/** One item of a package's checklist, e.g. `{ id: 'T003', title: 'Atomic config writes' }`. */
export interface PackageTask {
  id: string;
  title: string;
  /** Already done when the sprint starts (`- [x]` in the plan). */
  done?: boolean;
}

export interface IntegrationSpec {
  branch?: string;
  checks: string[];
  /** Push the integration branch to `remote` after a clean merge and passing checks. */
  push?: boolean;
  /** The git remote to push to (default `origin`). */
  remote?: string;
  /** Push the merged packages' branches too. */
  pushPackages?: boolean;
  /** Push also when the sprint failed or had conflicts. */
  pushOnFailure?: boolean;
}

export interface GithubSpec {
  /** `owner/name` */
  repo: string;
  issue?: number;
  sync: boolean;
  /** At most one progress write per this duration (default 10s). */
  minInterval: string;
  /** Open (or update) a pull request from the integration branch into `base`. */
  pullRequest?: boolean;
  /** Open it as a draft when a check failed or a package was deferred (default true). */
  draftOnFailure?: boolean;
}

export interface SprintSpec {
  id: string;
  title?: string;
  /** Path to a local git repository. */
  repo: string;
  base: string;
  strategy: Strategy;
  concurrency: number;
  scope: Scope;
  /** A duration from the sprint's start (`8h`) or an ISO time. */
  deadline?: string;
  /** A multi-day sprint: packages are planned onto working days and start no earlier than their day. */
  days?: DaysSpec;
  /** Story points per day (default: the points spread evenly over the days). */
  capacity?: number;
  packages: WorkPackageSpec[];
  integration: IntegrationSpec;
  github?: GithubSpec;
}

/** The working days of a multi-day sprint: how many, and from when. */
export interface DaysSpec {
  /** Number of working days. */
  count: number;
  /** First working day, `YYYY-MM-DD` (days start at 00:00 UTC; weekends are skipped). */
  start?: string;
  /** Without `start`: the length of one day from the sprint's start (default `24h`). */
  length?: string;
}

/** One thing wrong with a sprint file: where (`packages[3].dependsOn[0]`) and what, in a sentence. */
export interface SpecProblem {
  path: string;
  message: string;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_BASE = 'main';
