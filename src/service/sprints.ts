import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { Client, WorkflowExecutionStatusName, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { SearchAttributePair, UpdateDefinition } from '@temporalio/common';
import { allowedCommandProblems } from '../domain/allowed-commands';
import { UNKNOWN_TASK_FAILURE } from '../domain/external-package';
import type { ExternalPackageReply } from '../domain/external-package';
import { isSafeId, packageWorkflowId } from '../domain/ids';
import { retryRefusal } from '../domain/progress';
import { resumeProgress } from '../domain/progress-reducer';
import type { PackageProgress, SprintProgress, SprintStatus } from '../domain/progress';
import type { SprintSpec } from '../domain/spec';
import { sprintDetails, sprintSummary } from '../domain/web-ui';
import type { Config } from '../runtime/config';
import { readLiveProgress } from '../runtime/live-progress';
import { searchAttributesReady } from '../runtime/temporal';
import { sprintWorkflow } from '../workflows';
import {
  SPRINT_FINISHING,
  SPRINT_FINISHING_FAILURE,
  cancelSprintSignal,
  progressQuery,
  retryPackageUpdate,
} from '../workflows/messages';
import type { SprintWorkflowInput, SprintWorkflowOptions, workPackageWorkflow } from '../workflows';
import { SPRINT_ID, SPRINT_STATUS } from '../workflows/search-attributes';
import { settledSprintState } from '../workflows/outcomes';
import { NotRunnable, ServiceError, conflict, notFound, unavailable } from './errors';

/**
 * What the CLI and the API do with sprints, in one place: start or attach, read, list, cancel,
 * retry and report. Refusals are ServiceErrors; each edge turns them into its own answer.
 */
export type SprintHandle = WorkflowHandle<typeof sprintWorkflow>;

export interface Started {
  handle: SprintHandle;
  /** False when the sprint was already running and we attached to it. */
  started: boolean;
}

/**
 * Starts the sprint, or attaches to it when a sprint with that id is still running. A new
 * sprint must keep to SPRINTWAVE_ALLOWED_COMMANDS; it carries its search attributes when the
 * server has them registered.
 */
export async function startOrAttach(
  client: Client,
  config: Readonly<Config>,
  input: SprintWorkflowInput,
): Promise<Started> {
  const { spec } = input;
  if (!input.resume) checkAllowedCommands(spec, config);
  const searchable = await searchAttributesReady(client);
  try {
    const handle = await client.workflow.start(sprintWorkflow, {
      workflowId: spec.id,
      taskQueue: config.temporal.taskQueue,
      args: [withRouting(input, config)],
      staticSummary: sprintSummary(spec),
      staticDetails: sprintDetails(spec),
      typedSearchAttributes: searchable ? runningSprintAttributes(spec.id) : undefined,
    });
    return { handle, started: true };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return {
      handle: client.workflow.getHandle<typeof sprintWorkflow>(spec.id),
      started: false,
    };
  }
}

/** Starts the sprint; a conflict when a sprint with that id is still running. */
export async function startNewSprint(
  client: Client,
  config: Readonly<Config>,
  spec: SprintSpec,
): Promise<SprintHandle> {
  const { handle, started } = await startOrAttach(client, config, { spec });
  if (!started) throw conflict(`Sprint ${spec.id} is already running.`);
  return handle;
}

/** SPRINTWAVE_ROUTE_TO_HOST: each package's worktree work goes to the one worker that holds it. */
export function withRouting<T extends { options?: SprintWorkflowOptions }>(
  input: T,
  config: Readonly<Config>,
): T {
  if (!config.worker.routeToHost) return input;
  return { ...input, options: { ...input.options, routeToHost: true } };
}

/** Refuses, with every command named, a sprint that starts what SPRINTWAVE_ALLOWED_COMMANDS does not allow. */
export function checkAllowedCommands(spec: SprintSpec, config: Readonly<Config>): void {
  const problems = allowedCommandProblems(spec, config.allowedCommands);
  if (problems.length) throw new NotRunnable(spec.id, problems);
}

function runningSprintAttributes(sprintId: string): SearchAttributePair[] {
  return [
    { key: SPRINT_ID, value: sprintId },
    { key: SPRINT_STATUS, value: 'running' },
  ];
}

/** The sprint's handle and whether it runs; undefined when Temporal knows no sprint with that id. */
export async function findSprint(
  client: Client,
  id: string,
): Promise<{ handle: SprintHandle; running: boolean } | undefined> {
  const handle = client.workflow.getHandle<typeof sprintWorkflow>(id);
  try {
    const description = await handle.describe();
    if (description.type !== 'sprintWorkflow') return undefined;
    return { handle, running: description.status.name === 'RUNNING' };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** The sprint's handle and whether it runs; not-found when Temporal knows no such sprint. */
export async function getSprint(
  client: Client,
  id: string,
): Promise<{ handle: SprintHandle; running: boolean }> {
  const found = await findSprint(client, id);
  if (!found) throw notFound(`No sprint with id ${id}.`);
  return found;
}

/**
 * The live state of a running sprint (its running packages' progress read from them), or the
 * final state of one that ended.
 */
export async function readSprint(client: Client, id: string): Promise<SprintProgress> {
  const { handle, running } = await getSprint(client, id);
  if (!running) return finalState(handle);
  let state: SprintProgress;
  try {
    state = await client.withDeadline(Date.now() + 10_000, () => handle.query(progressQuery));
  } catch (error) {
    throw unavailable(
      `Sprint ${id} is running, but no worker answered (${(error as Error).message}). ` +
        'Start one with `sprintwave dev` or `sprintwave worker`, or follow it with `sprintwave run`.',
    );
  }
  return readLiveProgress(client.workflow, state);
}

/** The final state of a sprint that ended: its result, or what its failure or query says. */
export async function finalState(handle: SprintHandle): Promise<SprintProgress> {
  try {
    return await settledSprintState(handle);
  } catch (error) {
    throw unavailable(
      `Sprint ${handle.workflowId} ended without a result: ${(error as Error).message}`,
    );
  }
}

/** The input a sprint was started with, read back from its history. */
export async function sprintInput(handle: SprintHandle): Promise<SprintWorkflowInput> {
  const history = await handle.fetchHistory();
  const payload =
    history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload)
    throw unavailable(`Cannot read the sprint file of ${handle.workflowId} from its history.`);
  // The history holds the payload as stored: encrypted when a payload key is set.
  return decodeFromPayloadsAtIndex<SprintWorkflowInput>(
    handle.client.options.loadedDataConverter,
    0,
    [payload],
  );
}

/**
 * Cancels a running sprint: the signal says why, and the cancel request lets the run end
 * Cancelled in the Web UI. A run that ended meanwhile is left as it ended.
 */
export async function cancelSprint(client: Client, id: string, why: string): Promise<void> {
  const { handle, running } = await getSprint(client, id);
  // A cancelled sprint still winding down (its events, its comment) runs, but is not running.
  const status = running
    ? await client
        .withDeadline(Date.now() + 10_000, () => handle.query(progressQuery))
        .then(
          (state) => state.status,
          () => 'running',
        )
    : undefined;
  if (status !== 'running') throw conflict(`Sprint ${id} is not running.`);
  await handle.signal(cancelSprintSignal, why);
  await handle.cancel().catch((error: unknown) => {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  });
}

export interface Retried {
  /** `update`: the running sprint took the retry; `resumed`: the ended sprint runs again. */
  how: 'update' | 'resumed';
  state: SprintProgress;
}

/**
 * Retries a package: through an update while the sprint runs, or by running the sprint again
 * from its final state (completed work kept) when it has ended or is wrapping up.
 */
export async function retryPackage(
  client: Client,
  config: Readonly<Config>,
  id: string,
  wpId: string,
): Promise<Retried> {
  const { handle, running } = await getSprint(client, id);
  if (running) {
    const live = await readSprint(client, id);
    if (!live.packages.some((candidate) => candidate.id === wpId)) {
      throw notFound(`${wpId} is not a package of sprint ${id}.`);
    }
    try {
      const state = await handle.executeUpdate(retryPackageUpdate, { args: [wpId] });
      return { how: 'update', state };
    } catch (error) {
      // The sprint ended (or is wrapping up) between the two calls: resume it below, like an ended one.
      if (!(error instanceof WorkflowNotFoundError)) {
        if (!(error instanceof WorkflowUpdateFailedError)) throw error;
        const { cause } = error;
        const why = cause instanceof Error ? cause.message : error.message;
        const type = cause instanceof ApplicationFailure ? cause.type : undefined;
        // Runs from before typed refusals say why in the message only.
        const finishing = type === SPRINT_FINISHING_FAILURE || why === SPRINT_FINISHING;
        if (!finishing) throw conflict(`Cannot retry ${wpId}: ${why}`);
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
  return { how: 'resumed', state: resumeProgress(previous, [wpId]) };
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

/** How long a report waits for the worker that runs its package before the service gives up. */
const REPORT_DEADLINE_MS = 10_000;

/**
 * Sends an external package's report to its child workflow (`<sprintId>/<wpId>`) and answers
 * with the package's state. Refused: an unknown sprint or package (not-found), a task the
 * package lacks (bad-input), a report the package cannot take now (conflict, with the reason).
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
    return unavailable(`No worker answered for ${wpId} of sprint ${id}; is one running?`);
  }
  const wp = (await readSprint(client, id)).packages.find((candidate) => candidate.id === wpId);
  if (!wp) return notFound(`${wpId} is not a package of sprint ${id}.`);
  if (error instanceof WorkflowUpdateFailedError) {
    const { cause } = error;
    // A report naming a task the package does not have is bad input, not a conflict.
    if (cause instanceof ApplicationFailure && cause.type === UNKNOWN_TASK_FAILURE) {
      return new ServiceError(cause.message, 'bad-input');
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
