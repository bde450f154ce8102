/** The workflow types a worker registers, and nothing else: every export here is one. */
export { sprintWorkflow } from './sprint';
export type { SprintWorkflowInput, SprintWorkflowOptions } from './sprint';
export { workPackageWorkflow } from './work-package';
export type { WorkPackageInput, WorkPackageResult } from './work-package';
export { githubOutboxWorkflow } from './github-outbox';
export type { OutboxInput } from './github-outbox';
export { pullRequestOutboxWorkflow } from './pull-request-outbox';
export { eventsOutboxWorkflow } from './event-shipper';
export { scheduledSprintWorkflow } from './scheduled';
export type { ScheduledSprintInput } from './scheduled';
export { standupWorkflow } from './standup';
export type { StandupInput, StandupResult } from './standup';
