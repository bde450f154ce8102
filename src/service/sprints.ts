import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { allowedCommandProblems } from '../domain/allowed-commands';
import type { SprintProgress } from '../domain/progress';
import type { SprintSpec } from '../domain/spec';
import { sprintDetails, sprintSummary } from '../domain/web-ui';
import type { Config } from '../runtime/config';
import { searchAttributesReady } from '../runtime/temporal';
import { cancelSprintSignal, progressQuery, sprintWorkflow } from '../workflows';
import type { SprintWorkflowInput, SprintWorkflowOptions } from '../workflows';
import { SPRINT_ID, SPRINT_STATUS } from '../workflows/search-attributes';
import { settledSprintState } from '../workflows/outcomes';
import { CliError, EXIT } from './errors';

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
  if (problems.length === 0) return;
  const lines = problems.map(({ path, message }) => `  ${path}: ${message}`);
  throw new CliError(`Sprint ${spec.id} was not started:\n${lines.join('\n')}`, EXIT.badInput);
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

export async function getSprint(
  client: Client,
  id: string,
): Promise<{ handle: SprintHandle; running: boolean }> {
  const found = await findSprint(client, id);
  if (!found) throw new CliError(`No sprint with id ${id}.`, EXIT.badInput);
  return found;
}

/** The live state of a running sprint, or the final state of one that ended. */
export async function readSprint(client: Client, id: string): Promise<SprintProgress> {
  const { handle, running } = await getSprint(client, id);
  if (!running) return finalState(handle);
  try {
    return await client.withDeadline(Date.now() + 10_000, () => handle.query(progressQuery));
  } catch (error) {
    throw new CliError(
      `Sprint ${id} is running, but no worker answered (${(error as Error).message}). ` +
        'Start one with `sprintwave dev` or `sprintwave worker`, or follow it with `sprintwave run`.',
    );
  }
}

/** The final state of a sprint that ended: its result, or what its failure or query says. */
export async function finalState(handle: SprintHandle): Promise<SprintProgress> {
  try {
    return await settledSprintState(handle);
  } catch (error) {
    throw new CliError(
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
    throw new CliError(`Cannot read the sprint file of ${handle.workflowId} from its history.`);
  return defaultPayloadConverter.fromPayload<SprintWorkflowInput>(payload);
}

export function exitCodeFor(state: SprintProgress): number {
  return state.status === 'completed' ? EXIT.ok : EXIT.sprintFailed;
}

export type { SprintSpec };

/**
 * Cancels a running sprint: the signal says why, and the cancel request lets the run end
 * Cancelled in the Web UI. A run that ended meanwhile is left as it ended.
 */
export async function cancelSprintRun(handle: SprintHandle, why: string): Promise<void> {
  await handle.signal(cancelSprintSignal, why);
  await handle.cancel().catch((error: unknown) => {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  });
}
