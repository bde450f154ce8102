import {
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { failureMessage } from './failures';
import { parseDuration } from '../domain/duration';
import type { LastProgress, WorkPackageResult } from '../domain/progress';
import type { WorkPackageSpec } from '../domain/spec';
import type { DependencySummary } from '../domain/agents';
import { agentRunFor } from './agent-package';
import { acceptExternalReports } from './external-package';
import { packageUpdateSignal } from './messages';
import { PACKAGE_FAILS_PATCH, packageFailure } from './outcomes';
import { pickPackageHost } from './routing';
import type { HostOptions } from './routing';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

const DEFAULT_TIMEOUT_MS = 2 * 3_600_000;

export interface WorkPackageInput {
  sprintId: string;
  wp: WorkPackageSpec;
  repo: string;
  base: string;
  dependencyBranches: string[];
  owner: string;
  attempt: number;
  /** How long a silent executor may go before its worker counts as lost. */
  heartbeatTimeoutMs: number;
  /** Send every step on the worktree to the task queue of the one worker that holds it. */
  routeToHost?: boolean;
  /** An agent package's dependencies as its prompt names them; read from the sprint when absent. */
  dependencySummaries?: DependencySummary[];
}

export type { WorkPackageResult };

/** One package: its worktree, its executor, then the evidence of what it changed, from git. */
export async function workPackageWorkflow(input: WorkPackageInput): Promise<WorkPackageResult> {
  const { wp, attempt } = input;
  const reports = acceptExternalReports(wp, attempt);
  let host;
  let prepared;
  try {
    host = await pickPackageHost(input.routeToHost);
    prepared = await host.prepareWorktree({
      repo: input.repo,
      sprintId: input.sprintId,
      wpId: wp.id,
      base: input.base,
      dependencyBranches: input.dependencyBranches,
      owner: input.owner,
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    return failed({ status: 'failed', error: `worktree: ${failureMessage(error)}` });
  }
  const { branch, worktree } = prepared;
  const sprint = workflowInfo().parent;
  if (sprint) {
    // Not awaited: the executor need not wait for the sprint to learn the worktree's path.
    void getExternalWorkflowHandle(sprint.workflowId)
      .signal(packageUpdateSignal, { kind: 'worktree', wpId: wp.id, attempt, worktree, branch })
      .catch((error: unknown) =>
        log.warn('Sprint not told of the worktree', { wp: wp.id, error: failureMessage(error) }),
      );
  }

  const outcome: Outcome = wp.external
    ? await reports.outcome()
    : await runExecutor(input, prepared, host.options);
  if (outcome.status === 'failed') return failed({ ...outcome, branch, worktree });

  const evidence = await CancellationScope.nonCancellable(() =>
    host.commitWork({ worktree, wpId: wp.id, title: wp.title, baseCommit: prepared.baseCommit }),
  );
  log.info('Package completed', {
    wp: wp.id,
    files: evidence.filesChanged,
    commit: evidence.commit,
  });
  const kept = {
    ...(outcome.keptAttempts ? { keptAttempts: outcome.keptAttempts } : {}),
    ...(outcome.progress ? { progress: outcome.progress } : {}),
  };
  const reporter = outcome.reporter ? { reporter: outcome.reporter } : {};
  return {
    status: 'completed',
    branch,
    worktree,
    evidence,
    note: outcome.note,
    ...kept,
    ...reporter,
  };
}

/** A failed package ends its workflow Failed, so the Web UI shows it; the sprint reads the details. */
function failed(result: Extract<WorkPackageResult, { status: 'failed' }>): WorkPackageResult {
  if (patched(PACKAGE_FAILS_PATCH)) throw packageFailure(result);
  return result;
}

type Outcome = { keptAttempts?: string[]; reporter?: string; progress?: LastProgress } & (
  | { status: 'done'; note?: string }
  | { status: 'failed'; error: string; exitCode?: number | null; outputTail?: string[] }
);

async function runExecutor(
  input: WorkPackageInput,
  prepared: { worktree: string; baseCommit: string },
  host: HostOptions,
): Promise<Outcome> {
  const { wp } = input;
  const timeoutMs = (wp.timeout && parseDuration(wp.timeout)) || DEFAULT_TIMEOUT_MS;
  const { runPackage } = proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs + 60_000,
    heartbeatTimeout: input.heartbeatTimeoutMs,
    ...OPTIONS.runPackage,
    ...host,
  });
  const sprintWorkflowId = workflowInfo().parent?.workflowId ?? input.sprintId;
  const result = await runPackage({
    sprintWorkflowId,
    sprintId: input.sprintId,
    wpId: wp.id,
    attempt: input.attempt,
    command: wp.run ?? 'true',
    agent: await agentRunFor(wp, sprintWorkflowId, input.dependencySummaries),
    worktree: prepared.worktree,
    baseCommit: prepared.baseCommit,
    ...(wp.retry ? { retry: wp.retry } : {}),
    timeoutMs,
  });
  // Older workers answer without the refs. The ticks and the last note: the sprint heard of
  // neither while the command ran.
  const kept = {
    ...(result.keptAttempts?.length ? { keptAttempts: result.keptAttempts } : {}),
    ...(result.lastProgress ? { progress: result.lastProgress } : {}),
  };
  if (result.timedOut) {
    return {
      ...kept,
      status: 'failed',
      error: `timed out after ${wp.timeout ?? '2h'}`,
      exitCode: result.exitCode,
      outputTail: result.tail,
    };
  }
  if (result.exitCode !== 0) {
    const how =
      result.exitCode === null
        ? `was killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
    return {
      ...kept,
      status: 'failed',
      error: `${wp.agent ? `agent ${wp.agent}` : `\`${wp.run}\``} ${how}`,
      exitCode: result.exitCode,
      outputTail: result.tail,
    };
  }
  return { ...kept, status: 'done' };
}
