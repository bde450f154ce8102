/** The identity-tagged event envelope sent to sync backends. Pure: built by the sprint workflow. */

export const EVENT_SCHEMA_VERSION = 1;

export type EventType =
  | 'SprintStarted'
  | 'WaveStarted'
  | 'WPStatusChanged'
  | 'WPProgress'
  | 'MergeConflictPredicted'
  | 'IntegrationCompleted'
  | 'SprintCompleted'
  | 'ErrorLogged';

/** Who is sending: the project (from its repository) and the machine and team behind it. */
export interface ProjectIdentity {
  project_uuid: string;
  project_slug: string;
  node_id: string;
}

export interface EventIdentity extends ProjectIdentity {
  /** The team of the logged-in sync account; `local` when not logged in. */
  team_slug: string;
}

export interface EventEnvelope extends EventIdentity {
  schema_version: number;
  /** Derived from workflow id, run, sequence and attempt: a replay or a retry gives the same id. */
  event_id: string;
  event_type: EventType;
  /** Workflow time, ISO 8601. */
  occurred_at: string;
  sprint_id: string;
  wp_id?: string;
  /** Per sprint, gapless, from 1. */
  sequence: number;
  attempt: number;
  payload: Record<string, unknown>;
}

/** Deterministic event id: the same inputs always give the same id. */
export function eventId(
  workflowId: string,
  runId: string,
  sequence: number,
  attempt: number,
): string {
  return `${workflowId}:${runId}:${sequence}:${attempt}`;
}

/** A project's identity for its events, and whether they are sent or only queued. */
export interface ResolvedIdentity {
  identity: EventIdentity;
  /** Send to the sync backend (logged in, identity known, auto start on); else queue only. */
  send: boolean;
  warning?: string;
}
