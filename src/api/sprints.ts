import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { resumeProgress, retryRefusal } from '../domain/progress';
import type { SprintProgress, SprintStatus } from '../domain/progress';
import type { SprintSpec } from '../domain/spec';
import type { Config } from '../runtime/config';
import {
  findSprint as findSprintHandle,
  finalState,
  readSprint,
  sprintInput,
  startOrAttach,
} from '../cli/sprint-client';
import type { SprintHandle } from '../cli/sprint-client';
import type { sprintWorkflow } from '../workflows';
import { SPRINT_FINISHING, cancelSprintSignal, retryPackageUpdate } from '../workflows';
import { conflict, notFound } from './errors';

/** The sprint's handle and whether it runs; 404 when Temporal knows no sprint with that id. */
export async function findSprint(
  client: Client,
  id: string,
): Promise<{ handle: SprintHandle; running: boolean }> {
  const found = await findSprintHandle(client, id);
  if (!found) throw notFound(`No sprint with id ${id}.`);
  return found;
}

/** The live state of a running sprint, or the final state of one that ended. */
export async function sprintState(client: Client, id: string): Promise<SprintProgress> {
  await findSprint(client, id);
  return readSprint(client, id);
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
  await handle.signal(cancelSprintSignal, 'cancelled through the HTTP API');
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
 * The sprints on this task queue, newest first, from Temporal visibility. A sprint that ends
 * (completed, failed or cancelled) completes its workflow, so ended ones are read from their
 * results.
 */
export async function listSprints(
  client: Client,
  config: Readonly<Config>,
  status?: SprintStatus,
): Promise<SprintListing[]> {
  const taskQueue = config.temporal.taskQueue.replace(/'/g, "\\'");
  let query = `WorkflowType = 'sprintWorkflow' AND TaskQueue = '${taskQueue}'`;
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
