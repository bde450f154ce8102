export { sprintWorkflow } from './sprint';
export type { SprintWorkflowInput, SprintWorkflowOptions } from './sprint';
export { workPackageWorkflow } from './work-package';
export type { WorkPackageInput, WorkPackageResult } from './work-package';
export * from './messages';
export { githubOutboxWorkflow, outboxWorkflowId } from './github-outbox';
export type { OutboxInput } from './github-outbox';
export { eventsOutboxWorkflow, eventsOutboxWorkflowId } from './event-shipper';
