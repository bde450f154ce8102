/** Sprint and package ids become git branch components and directory names: keep them boring. */

export const MAX_ID_LENGTH = 64;

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why `id` cannot be used as a path or branch component, or undefined when it can. */
export function unsafeIdReason(id: string): string | undefined {
  if (id.length === 0) return 'must not be empty';
  if (id.length > MAX_ID_LENGTH) return `is longer than ${MAX_ID_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return 'contains a control character';
  if (/\s/.test(id)) return 'contains white space';
  if (id.includes('/') || id.includes('\\')) return 'contains a slash';
  if (id === '.' || id.includes('..')) return "contains '..'";
  if (id.toLowerCase().endsWith('.lock')) return "ends with '.lock'";
  if (id.endsWith('.')) return "ends with '.'";
  if (!SAFE.test(id)) {
    return 'may only hold letters, digits, dots, dashes and underscores, starting with a letter or digit';
  }
  return undefined;
}

export function isSafeId(id: string): boolean {
  return unsafeIdReason(id) === undefined;
}

export function packageBranch(sprintId: string, wpId: string): string {
  return `sprintwave/${sprintId}/${wpId}`;
}

export function defaultIntegrationBranch(sprintId: string): string {
  return `sprintwave/${sprintId}/integration`;
}

/** Child workflow id of a package: `<sprintId>/<wpId>`. */
export function packageWorkflowId(sprintId: string, wpId: string): string {
  return `${sprintId}/${wpId}`;
}

/** The sprint id of a scheduled run: the schedule id and the scheduled time in UTC (`nightly-20261121T020000Z`). */
export function scheduledSprintId(scheduleId: string, at: number): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${scheduleId}-${stamp}`;
}

/**
 * The scheduled time of a run started by a Temporal schedule, read from its workflow id
 * (`<action id>-<RFC 3339 time>`); undefined when the id has no such suffix.
 */
export function scheduledTimeOf(workflowId: string, actionId: string): number | undefined {
  if (!workflowId.startsWith(`${actionId}-`)) return undefined;
  const time = Date.parse(workflowId.slice(actionId.length + 1));
  return Number.isNaN(time) ? undefined : time;
}

/** The detached workflow that delivers a sprint's progress table and summary to GitHub. */
export function outboxWorkflowId(sprintId: string): string {
  return `github-outbox/${sprintId}`;
}

/** The detached workflow that opens a sprint's pull request. */
export function pullRequestOutboxId(sprintId: string): string {
  return `github-pull-request/${sprintId}`;
}

/** One per sprint run: a resumed sprint's outbox must not collide with an earlier one still delivering. */
export function eventsOutboxWorkflowId(sprintId: string, runId: string): string {
  return `events-outbox/${sprintId}/${runId}`;
}
