/** What a finished sprint hands to reviewers: which branches it pushes, and its pull request. */
import { sprintReasons } from './outcome';
import type { SprintProgress } from './progress';
import type { SprintSpec } from './spec';

export const DEFAULT_REMOTE = 'origin';

export interface BranchAtCommit {
  branch: string;
  commit: string;
}

export type PushPlan = { push: BranchAtCommit[] } | { skip: string };

export function deliveryRemote(spec: SprintSpec): string {
  return spec.integration.remote ?? DEFAULT_REMOTE;
}

/**
 * The branches to push at the end of the integration, or why nothing is pushed; undefined
 * when the sprint file asks for no push at all.
 */
export function planPush(
  spec: SprintSpec,
  state: SprintProgress,
  cancelled: boolean,
): PushPlan | undefined {
  const integration = spec.integration;
  if (!integration.push) return undefined;
  if (cancelled) return { skip: 'the sprint was cancelled' };
  const merged = state.integration;
  if (!merged.commit || merged.merged.length === 0) {
    return { skip: `nothing was merged (${merged.error ?? 'no package completed'})` };
  }
  const problems = sprintReasons(state);
  if (problems.length > 0 && !integration.pushOnFailure) {
    return {
      skip: `the sprint did not complete (${problems.join('; ')}) and integration.pushOnFailure is off`,
    };
  }
  const branches: BranchAtCommit[] = [{ branch: merged.branch, commit: merged.commit }];
  if (integration.pushPackages) {
    for (const wp of state.packages) {
      if (merged.merged.includes(wp.id) && wp.commit) {
        branches.push({ branch: wp.branch, commit: wp.commit });
      }
    }
  }
  return { push: branches };
}

export interface PullRequestPlan {
  head: string;
  base: string;
  title: string;
  draft: boolean;
}

/**
 * The pull request a finished sprint opens or updates, or why it opens none; undefined when
 * the sprint file asks for none.
 */
export function planPullRequest(
  spec: SprintSpec,
  state: SprintProgress,
): PullRequestPlan | { skip: string } | undefined {
  const github = spec.github;
  if (!github?.pullRequest) return undefined;
  if (!github.sync) return { skip: 'github.sync is off' };
  if (!spec.integration.push) {
    return { skip: 'integration.push is off, so the integration branch is not on the remote' };
  }
  const head = state.integration.branch;
  if (!state.delivery?.pushed.some((pushed) => pushed.branch === head)) {
    return { skip: `\`${head}\` was not pushed` };
  }
  const deferred = state.packages.some((wp) => wp.status === 'deferred');
  const draft = (github.draftOnFailure ?? true) && (state.status !== 'completed' || deferred);
  return { head, base: spec.base, title: spec.title ?? `Sprint ${spec.id}`, draft };
}
