import { proxyActivities } from '@temporalio/workflow';
import { packageBranch } from '../domain/ids';
import type { ProgressEvent, SprintProgress } from '../domain/progress';
import type { SprintSpec } from '../domain/spec';
import { failureMessage } from './failures';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS, pickHost } from './routing';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

export interface IntegrationInput {
  spec: SprintSpec;
  /** Package ids in dependency order. */
  order: string[];
  state(): SprintProgress;
  apply(event: ProgressEvent): void;
  options?: { heartbeatTimeoutMs?: number; checkTimeoutMs?: number; routeToHost?: boolean };
}

/**
 * Merges the completed packages' branches, in dependency order, into the integration branch,
 * then runs the checks there unless a merge conflicted. Every outcome lands in the state.
 */
export async function integrate({
  spec,
  order,
  state,
  apply,
  options,
}: IntegrationInput): Promise<void> {
  const done = new Set(
    state()
      .packages.filter((wp) => wp.status === 'completed')
      .map((wp) => wp.id),
  );
  const packages = order
    .filter((id) => done.has(id))
    .map((id) => ({ wpId: id, branch: packageBranch(spec.id, id) }));
  if (packages.length === 0) {
    apply({ type: 'integration-skipped', reason: 'no package completed' });
    return;
  }
  apply({ type: 'integration-merging' });
  try {
    // The merge and the checks share a worktree: with routing, both go to one worker.
    const host = await pickHost(options?.routeToHost);
    // Heartbeats: a worker lost mid-merge is noticed in seconds, not after the 30 minutes.
    const { mergeIntoIntegration } = proxyActivities<Activities>({
      ...OPTIONS.merge,
      heartbeatTimeout: options?.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      ...host,
    });
    const merge = await mergeIntoIntegration({
      repo: spec.repo,
      sprintId: spec.id,
      base: spec.base,
      branch: state().integration.branch,
      packages,
      owner: state().owner,
    });
    apply({ type: 'integration-merged', ...merge });
    if (merge.conflicts.length > 0 || spec.integration.checks.length === 0) {
      apply({ type: 'integration-checked', checks: [] });
      return;
    }
    const { runChecks } = proxyActivities<Activities>({
      ...OPTIONS.checks,
      heartbeatTimeout: options?.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      ...host,
    });
    const checks = await runChecks({
      worktree: merge.worktree,
      checks: spec.integration.checks,
      sprintId: spec.id,
      timeoutMs: options?.checkTimeoutMs ?? 30 * 60_000,
    });
    apply({ type: 'integration-checked', checks });
  } catch (error) {
    apply({ type: 'integration-failed', error: failureMessage(error) });
  }
}
