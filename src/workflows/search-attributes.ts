import { defineSearchAttributeKey } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';

/**
 * Search attributes that make sprints findable in the Web UI and by `workflow list` queries
 * (`SprintId = 'x'`, `WorkPackage = 'WP01'`). The embedded dev server registers them; on
 * another server the starter leaves them out when they are not registered, and the sprint
 * workflow then sets none either: it follows what it was started with.
 */
export const SPRINT_ID = defineSearchAttributeKey('SprintId', 'KEYWORD');
export const WORK_PACKAGE = defineSearchAttributeKey('WorkPackage', 'KEYWORD');
export const SPRINT_STATUS = defineSearchAttributeKey('SprintStatus', 'KEYWORD');

export const SPRINT_SEARCH_ATTRIBUTES = [SPRINT_ID, WORK_PACKAGE, SPRINT_STATUS] as const;

/** In the sprint workflow: its package's child carries SprintId and WorkPackage too. */
export function packageSearchAttributes(
  sprintId: string,
  wpId: string,
): SearchAttributePair[] | undefined {
  if (!startedWithAttributes()) return undefined;
  return [
    { key: SPRINT_ID, value: sprintId },
    { key: WORK_PACKAGE, value: wpId },
  ];
}

/** In a schedule's launcher: the run's sprint starts with its own SprintId, running. */
export function scheduledSprintAttributes(sprintId: string): SearchAttributePair[] | undefined {
  if (!startedWithAttributes()) return undefined;
  return [
    { key: SPRINT_ID, value: sprintId },
    { key: SPRINT_STATUS, value: 'running' },
  ];
}

/** In the sprint workflow: SprintStatus becomes the final status. */
export function recordSprintStatus(status: string): void {
  if (startedWithAttributes()) upsertSearchAttributes([{ key: SPRINT_STATUS, value: status }]);
}

function startedWithAttributes(): boolean {
  return workflowInfo().typedSearchAttributes.get(SPRINT_ID) !== undefined;
}
