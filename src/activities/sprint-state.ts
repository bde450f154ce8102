import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SprintProgress } from '../domain/progress';
import { queryLiveState } from '../runtime/live-progress';
import { settledSprintState } from '../workflows/outcomes';

/** Reading another sprint's state, for workflows that report on it (the stand-up). */
export function createSprintStateActivities(client: Client) {
  return {
    /** The live state of a running sprint, or the final state of one that ended. */
    async readSprintState(input: { sprintId: string }): Promise<SprintProgress> {
      const handle = client.workflow.getHandle(input.sprintId);
      let running: boolean;
      try {
        const description = await handle.describe();
        if (description.type !== 'sprintWorkflow') throw unknownSprint(input.sprintId);
        running = description.status.name === 'RUNNING';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw unknownSprint(input.sprintId);
        throw error;
      }
      if (!running) return settledSprintState(handle);
      return queryLiveState(handle);
    },
  };
}

function unknownSprint(id: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`No sprint with id ${id}.`, 'UnknownSprint');
}
