import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { UNKNOWN_TASK_FAILURE } from '../domain/external-package';
import type { ExternalPackageReply } from '../domain/external-package';
import { isSafeId, packageWorkflowId } from '../domain/ids';
import { resumeProgress, retryRefusal } from '../domain/progress';
import type { PackageProgress, SprintProgress, SprintStatus } from '../domain/progress';
import type { SprintSpec } from '../domain/spec';
import type { Config } from '../runtime/config';
import {
  cancelSprintRun,
  findSprint as findSprintHandle,
  finalState,
  readSprint,
  sprintInput,
  startOrAttach,
} from '../cli/sprint-client';
import type { SprintHandle } from '../cli/sprint-client';
import type { sprintWorkflow, workPackageWorkflow } from '../workflows';
import { SPRINT_FINISHING, retryPackageUpdate } from '../workflows';
import { ApiError, conflict, notFound } from './errors';
import { readCache } from './read-cache';
import type { ReadCache } from './read-cache';

/** The sprint's handle and whether it runs; 404 when Temporal knows no sprint with that id. */
export async function findSprint(
  client: Client,
  id: string,
): Promise<{ handle: SprintHandle; running: boolean }> {
  const found = await findSprintHandle(client, id);
  if (!found) throw notFound(`No sprint with id ${id}.`);
  return found;
}

/** Under load, each GET would otherwise cost two describes and a query answered by a worker. */
const SPRINT_STATE_TTL_MS = 250;
const sprintStates = new WeakMap<Client, ReadCache<SprintProgress>>();

/**
 * The live state of a running sprint, or the final state of one that ended. Concurrent calls
 * for a sprint share one read, and its answer serves for up to 250 ms.
 */
export async function sprintState(client: Client, id: string): Promise<SprintProgress> {
  let cache = sprintStates.get(client);
  if (!cache) {
    cache = readCache(SPRINT_STATE_TTL_MS);
    sprintStates.set(client, cache);
  }
  return cache.read(id, async () => {
    await findSprint(client, id);
    return readSprint(client, id);
  });
}

/** Starts the sprint; 409 when a sprint with that id is still running. */
export async function startSprint(
  client: Client,
  config: Readonly<Config>,
  spec: SprintSpec,
): Promise<void> {
  const { started } = await startOrAttach(client, config, { spec });
  if (!started) throw conflict(`Sprint ${spec.id} is already running.`);
}

export async function cancelSprint(client: Client, id: string): Promise<void> {
  const { handle, running } = await findSprint(client, id);
  if (!running) throw conflict(`Sprint ${id} is not running.`);
  await cancelSprintRun(handle, 'cancelled through the HTTP API');
}

/**
 * Retries a package like `sprintwave retry`: through an update while the sprint runs, or by
 * running the sprint again from its final state (completed work kept) when it has ended.
 * Answers with the sprint's new state.
 */
export async function retrySprintPackage(
  client: Client,
  config: Readonly<Config>,
  id: string,
  wpId: string,
): Promise<SprintProgress> {
  const { handle, running } = await findSprint(client, id);
  if (running) {
    const live = await readSprint(client, id);
    if (!live.packages.some((candidate) => candidate.id === wpId)) {
      throw notFound(`${wpId} is not a package of sprint ${id}.`);
    }
    try {
      return await handle.executeUpdate(retryPackageUpdate, { args: [wpId] });
    } catch (error) {
      // The sprint ended (or is wrapping up) between the two calls: resume it below, like an ended one.
      if (!(error instanceof WorkflowNotFoundError)) {
        if (!(error instanceof WorkflowUpdateFailedError)) throw error;
        const why = error.cause instanceof Error ? error.cause.message : error.message;
        if (why !== SPRINT_FINISHING) throw conflict(`Cannot retry ${wpId}: ${why}`);
      }
    }
  }
  const previous = await finalState(handle);
  const wp = previous.packages.find((candidate) => candidate.id === wpId);
  if (!wp) throw notFound(`${wpId} is not a package of sprint ${id}.`);
  const refusal = retryRefusal(wp);
  if (refusal) throw conflict(`Cannot retry ${wpId}: ${refusal}.`);
  const input = await sprintInput(handle);
  const { started } = await startOrAttach(client, config, {
    ...input,
    resume: previous,
    retry: [wpId],
  });
  if (!started) throw conflict(`Sprint ${id} was started again meanwhile.`);
  return resumeProgress(previous, [wpId]);
}

export interface SprintListing {
  id: string;
  status: SprintStatus;
  startedAt?: string;
}

const LIST_LIMIT = 100;

/**
 * The sprints on this task queue, newest first, from Temporal visibility; ended ones are read
 * from their results, or from the state a failed or cancelled run left with its failure or memo.
 */
export async function listSprints(
  client: Client,
  config: Readonly<Config>,
  status?: SprintStatus,
): Promise<SprintListing[]> {
  const taskQueue = config.temporal.taskQueue.replace(/'/g, "\\'");
  // A run that continued as new is not where its sprint ended: its last run speaks for it.
  let query = `WorkflowType = 'sprintWorkflow' AND TaskQueue = '${taskQueue}' AND ExecutionStatus != 'ContinuedAsNew'`;
  if (status === 'running') query += ` AND ExecutionStatus = 'Running'`;
  else if (status) query += ` AND ExecutionStatus != 'Running'`;
  const found: Array<{
    id: string;
    runId: string;
    status: WorkflowExecutionStatusName;
    startTime: Date;
  }> = [];
  const seen = new Set<string>();
  for await (const execution of client.workflow.list({ query, pageSize: LIST_LIMIT })) {
    // A sprint retried after it ended has several runs: the newest one speaks for it.
    if (seen.has(execution.workflowId)) continue;
    seen.add(execution.workflowId);
    found.push({
      id: execution.workflowId,
      runId: execution.runId,
      status: execution.status.name,
      startTime: execution.startTime,
    });
    if (found.length >= LIST_LIMIT) break;
  }
  const listed = await Promise.all(
    found.map(async (execution): Promise<SprintListing> => ({
      id: execution.id,
      status: await listedStatus(client, execution.id, execution.runId, execution.status),
      startedAt: execution.startTime.toISOString(),
    })),
  );
  return listed.filter((sprint) => !status || sprint.status === status);
}

async function listedStatus(
  client: Client,
  id: string,
  runId: string,
  status: WorkflowExecutionStatusName,
): Promise<SprintStatus> {
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'COMPLETED':
      try {
        const state = await client.workflow
          .getHandle<typeof sprintWorkflow>(id, runId, { followRuns: false })
          .result();
        return state.status;
      } catch {
        return 'failed';
      }
    case 'CANCELLED':
    case 'TERMINATED':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** How long a report waits for the worker that runs its package before the API gives up. */
const REPORT_DEADLINE_MS = 10_000;

/**
 * Sends an external package's report to its child workflow (`<sprintId>/<wpId>`) and answers
 * with the package's state: 404 for an unknown sprint or package, 409 with the reason when the
 * package refuses the report or its workflow is not running.
 */
export async function reportToPackage<Report extends { attempt?: number }>(
  client: Client,
  id: string,
  wpId: string,
  update: UpdateDefinition<ExternalPackageReply, [Report]>,
  report: Report,
): Promise<ExternalPackageReply> {
  if (!isSafeId(id)) throw notFound(`No sprint with id ${id}.`);
  if (!isSafeId(wpId)) throw notFound(`${wpId} is not a package of sprint ${id}.`);
  const handle = client.workflow.getHandle(packageWorkflowId(id, wpId));
  try {
    return await client.withDeadline(Date.now() + REPORT_DEADLINE_MS, () =>
      handle.executeUpdate(update, { args: [report] }),
    );
  } catch (error) {
    throw await reportRefusal(client, id, wpId, report.attempt, error);
  }
}

async function reportRefusal(
  client: Client,
  id: string,
  wpId: string,
  attempt: number | undefined,
  error: unknown,
): Promise<unknown> {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ApiError(503, `No worker answered for ${wpId} of sprint ${id}; is one running?`);
  }
  await findSprint(client, id);
  const wp = (await readSprint(client, id)).packages.find((candidate) => candidate.id === wpId);
  if (!wp) return notFound(`${wpId} is not a package of sprint ${id}.`);
  if (error instanceof WorkflowUpdateFailedError) {
    const { cause } = error;
    // A report naming a task the package does not have is bad input, not a conflict.
    if (cause instanceof ApplicationFailure && cause.type === UNKNOWN_TASK_FAILURE) {
      return new ApiError(400, cause.message);
    }
    return conflict(cause instanceof Error ? cause.message : error.message);
  }
  if (!(error instanceof WorkflowNotFoundError)) return error;
  return conflict(await notRunningReason(client, id, wp, attempt));
}

/** Why a package whose workflow is not running takes no report, from the sprint's view of it. */
async function notRunningReason(
  client: Client,
  id: string,
  wp: PackageProgress,
  attempt: number | undefined,
): Promise<string> {
  if (attempt !== undefined && attempt < wp.attempt) {
    return `attempt ${attempt} is stale: the package is on attempt ${wp.attempt}`;
  }
  if (wp.status === 'completed') return `${wp.id} already completed`;
  if (wp.status === 'failed') return `${wp.id} already failed`;
  if (wp.status !== 'in_progress') return `${wp.id} is not in progress (it is ${wp.status})`;
  // The package's workflow may have just ended, before the sprint learned of it.
  const ended = await client.workflow
    .getHandle<typeof workPackageWorkflow>(packageWorkflowId(id, wp.id))
    .result()
    .catch(() => undefined);
  return ended?.status === 'completed'
    ? `${wp.id} already completed`
    : `${wp.id} is not in progress: its worktree is not ready yet`;
}
