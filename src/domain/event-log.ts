import { EVENT_SCHEMA_VERSION, eventId } from './events';
import type { EventEnvelope, EventIdentity, EventType } from './events';
import type { ProgressEvent, SprintProgress } from './progress';
import { sameConflict } from './rehearsal';

/** An event before it is numbered and tagged. */
export interface EventDraft {
  type: EventType;
  wpId?: string;
  attempt: number;
  payload: Record<string, unknown>;
}

/**
 * The events one state change stands for: exactly one WPStatusChanged per package whose status
 * changed, and the sprint-level events. The only place events are decided.
 */
export function eventsForChange(
  before: SprintProgress,
  after: SprintProgress,
  cause: ProgressEvent,
): EventDraft[] {
  const drafts: EventDraft[] = [];
  for (const [old, wp] of changedPackages(before, after)) {
    if (old.status === wp.status) continue;
    drafts.push({
      type: 'WPStatusChanged',
      wpId: wp.id,
      attempt: wp.attempt,
      payload: {
        from: old.status,
        to: wp.status,
        ...(reasonOf(wp) ? { reason: reasonOf(wp) } : {}),
      },
    });
  }
  if (cause.type === 'package-progress' && after !== before) {
    const wp = after.packages.find((candidate) => candidate.id === cause.id);
    if (wp) {
      drafts.push({
        type: 'WPProgress',
        wpId: wp.id,
        attempt: wp.attempt,
        payload: { filesCompleted: wp.filesCompleted, filesTotal: wp.filesTotal, note: wp.note },
      });
    }
  }
  if (cause.type === 'package-started') {
    const started = after.packages.find((wp) => wp.id === cause.id);
    const wave = started?.wave ?? 0;
    const firstOfWave = after.packages.every(
      (wp) => wp.wave !== wave || wp.id === cause.id || wp.status === 'pending',
    );
    if (started && firstOfWave) {
      drafts.unshift({
        type: 'WaveStarted',
        attempt: 1,
        payload: { wave, packages: after.waves[wave - 1] ?? [] },
      });
    }
  }
  if (cause.type === 'merge-rehearsed') drafts.push(...newConflicts(before, after));
  if (cause.type === 'integration-checked' || cause.type === 'integration-skipped') {
    const integration = after.integration;
    drafts.push({
      type: 'IntegrationCompleted',
      attempt: 1,
      payload: {
        branch: integration.branch,
        merged: integration.merged,
        conflicts: integration.conflicts.map((c) => ({ wpId: c.wpId, files: c.files })),
        checks: integration.checks.map((c) => ({
          command: c.command,
          passed: c.passed,
          exitCode: c.exitCode,
        })),
      },
    });
  }
  if (cause.type === 'integration-failed' || cause.type === 'github-disabled') {
    drafts.push({
      type: 'ErrorLogged',
      attempt: 1,
      payload: { source: cause.type, error: cause.error },
    });
  }
  if (cause.type === 'sprint-finished') {
    drafts.push({
      type: 'SprintCompleted',
      attempt: 1,
      payload: { status: after.status, reasons: after.reasons },
    });
  }
  return drafts;
}

type PackageOf = SprintProgress['packages'][number];

/**
 * Each package that is not the same object before and after, with its earlier self. The reducer
 * keeps the order of the packages and the objects it did not change, so a big sprint's change
 * costs a pass of comparisons, not a map of every package.
 */
function changedPackages(before: SprintProgress, after: SprintProgress): [PackageOf, PackageOf][] {
  if (before.packages === after.packages) return [];
  const changed: [PackageOf, PackageOf][] = [];
  const sameOrder = before.packages.length === after.packages.length;
  for (let index = 0; sameOrder && index < after.packages.length; index++) {
    const old = before.packages[index] as PackageOf;
    const wp = after.packages[index] as PackageOf;
    if (old === wp) continue;
    if (old.id !== wp.id) return changedById(before, after);
    changed.push([old, wp]);
  }
  return sameOrder ? changed : changedById(before, after);
}

function changedById(before: SprintProgress, after: SprintProgress): [PackageOf, PackageOf][] {
  const previous = new Map(before.packages.map((wp) => [wp.id, wp]));
  return after.packages.flatMap((wp): [PackageOf, PackageOf][] => {
    const old = previous.get(wp.id);
    return old && old !== wp ? [[old, wp]] : [];
  });
}

/** One event per conflict the rehearsal newly predicts, under the package that would not merge. */
function newConflicts(before: SprintProgress, after: SprintProgress): EventDraft[] {
  const known = before.predictedConflicts ?? [];
  return (after.predictedConflicts ?? [])
    .filter((conflict) => !known.some((old) => sameConflict(old, conflict)))
    .map((conflict) => ({
      type: 'MergeConflictPredicted' as const,
      wpId: conflict.wpId,
      attempt: after.packages.find((wp) => wp.id === conflict.wpId)?.attempt ?? 1,
      payload: { with: conflict.with, files: conflict.files },
    }));
}

function reasonOf(wp: SprintProgress['packages'][number]): string | undefined {
  if (wp.status === 'failed') return wp.error;
  if (wp.status === 'blocked') return `blocked by ${(wp.blockedBy ?? []).join(', ')}`;
  if (wp.status === 'deferred' || wp.status === 'pending') return wp.note;
  return undefined;
}

export interface EventContext {
  workflowId: string;
  runId: string;
  sprintId: string;
  identity: EventIdentity;
}

/** Numbers and tags drafts; `sequence` is the last one used (gapless per sprint, from 1). */
export function envelopes(
  drafts: EventDraft[],
  context: EventContext,
  lastSequence: number,
  at: number,
): EventEnvelope[] {
  return drafts.map((draft, index) => {
    const sequence = lastSequence + index + 1;
    return {
      schema_version: EVENT_SCHEMA_VERSION,
      event_id: eventId(context.workflowId, context.runId, sequence, draft.attempt),
      event_type: draft.type,
      occurred_at: new Date(at).toISOString(),
      ...context.identity,
      sprint_id: context.sprintId,
      ...(draft.wpId ? { wp_id: draft.wpId } : {}),
      sequence,
      attempt: draft.attempt,
      payload: draft.payload,
    };
  });
}
