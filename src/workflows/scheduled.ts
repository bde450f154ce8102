import { ParentClosePolicy, executeChild, workflowInfo } from '@temporalio/workflow';
import { scheduledSprintId, scheduledTimeOf } from '../domain/ids';
import type { SprintProgress } from '../domain/progress';
import type { SprintSpec } from '../domain/spec';
import { now } from './clock';
import { failedSprintStateOf } from './outcomes';
import { scheduledSprintAttributes } from './search-attributes';
import { sprintWorkflow } from './sprint';
import type { SprintWorkflowOptions } from './sprint';

export interface ScheduledSprintInput {
  scheduleId: string;
  spec: SprintSpec;
  options?: SprintWorkflowOptions;
}

/**
 * What a schedule starts: the sprint of this run, under its own id (the schedule id and the
 * scheduled time), as a workflow that outlives this one. Waiting for it lets the schedule's
 * overlap policy see a sprint that is still running.
 */
export async function scheduledSprintWorkflow(
  input: ScheduledSprintInput,
): Promise<SprintProgress> {
  const at = scheduledTimeOf(workflowInfo().workflowId, input.scheduleId) ?? now();
  const id = scheduledSprintId(input.scheduleId, at);
  try {
    return await executeChild(sprintWorkflow, {
      workflowId: id,
      typedSearchAttributes: scheduledSprintAttributes(id),
      args: [{ spec: { ...input.spec, id }, options: input.options }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (error) {
    // The launcher did its job: the failed sprint shows as Failed itself; pass its state on.
    const state = failedSprintStateOf(error);
    if (state) return state;
    throw error;
  }
}
