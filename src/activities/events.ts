import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { EventEnvelope } from '../domain/events';
import { attemptRecords, planBatches } from './event-batches';
import type { BatchSources } from './event-batches';
import { postBatch } from './events-http';
import type { HttpSink } from './events-http';
import { jsonlLog, readJsonl } from './events-log';
import type { JsonlLog } from './events-log';

export interface EventSinkDeps {
  /** Data directory: queues live in `<dataDir>/events/<project_uuid>.jsonl` (one file per project). */
  dataDir: string;
  /** The sync backend; events are sent only when set AND a sync token is set. */
  eventsUrl?: string;
  syncToken?: string;
  /** Per request; default 10000. */
  timeoutMs?: number;
}

export interface RecordEventsResult {
  /** Events written to the queue by this call. */
  appended: number;
  /** Events that a previous attempt had queued already. */
  alreadyQueued: number;
  /** Events delivered by this call (ones delivered before are never sent again). */
  sent: number;
  /** No sync backend or no login: the events are only queued. */
  queueOnly: boolean;
  /** The project's queue; '' when there were no events. */
  queueFile: string;
}

/** Identity-tagged events: queued locally exactly once, then sent to the sync backend when logged in. */
export function createEventActivities(deps: EventSinkDeps) {
  const sink = httpSink(deps);
  return {
    /**
     * Idempotent: a retry finds its events queued and sends only those not yet acknowledged.
     * Sync failures are thrown only once the events are safely queued.
     */
    async recordEvents(events: EventEnvelope[]): Promise<RecordEventsResult> {
      const queueOnly = sink === undefined;
      const project = oneProject(events);
      if (project === undefined) {
        return { appended: 0, alreadyQueued: 0, sent: 0, queueOnly, queueFile: '' };
      }
      const queue = queueLog(deps.dataDir, project);
      const unique = [...new Map(events.map((e) => [e.event_id, e])).values()];
      const appended = await queue.locked(() =>
        queue.append(unique.map((e) => ({ id: e.event_id, record: e }))),
      );
      const result = {
        appended: appended.length,
        alreadyQueued: unique.length - appended.length,
        sent: 0,
        queueOnly,
        queueFile: queue.file,
      };
      if (sink) result.sent = await sendUnsent(sink, deliveryLogs(deps.dataDir, project), unique);
      return result;
    },
  };
}

/** The queued events (of one project, or of all projects by file name), in file order. */
export async function readQueue(dataDir: string, projectUuid?: string): Promise<EventEnvelope[]> {
  const projects = projectUuid === undefined ? await queuedProjects(dataDir) : [projectUuid];
  const events: EventEnvelope[] = [];
  for (const project of projects) events.push(...(await readProject(dataDir, project)));
  return events;
}

/** `sprintwave sync flush`: sends what is queued but not yet acknowledged. */
export async function flushQueue(
  deps: EventSinkDeps & { projectUuid?: string },
): Promise<{ sent: number; pending: number }> {
  const sink = httpSink(deps);
  const projects =
    deps.projectUuid === undefined ? await queuedProjects(deps.dataDir) : [deps.projectUuid];
  let sent = 0;
  let pending = 0;
  for (const project of projects) {
    const queued = await readProject(deps.dataDir, project);
    const sentFile = sentLog(deps.dataDir, project);
    if (sink) sent += await sendUnsent(sink, deliveryLogs(deps.dataDir, project), queued);
    const acknowledged = await sentFile.locked(() => sentFile.knownIds());
    pending += queued.filter((e) => !acknowledged.has(e.event_id)).length;
  }
  return { sent, pending };
}

interface DeliveryLogs extends BatchSources {
  /** Ids the backend acknowledged. */
  sent: JsonlLog;
}

function deliveryLogs(dataDir: string, project: string): DeliveryLogs {
  return {
    sent: sentLog(dataDir, project),
    attempts: attemptsLog(dataDir, project),
    queued: () => readProject(dataDir, project),
  };
}

/**
 * Sends the events not yet acknowledged, in batches, recording each batch before it is POSTed
 * (so that a repeat goes out under the same Idempotency-Key) and each acknowledged batch after.
 * The sent file stays locked meanwhile, so two calls in this process never send an event twice.
 */
async function sendUnsent(
  sink: HttpSink,
  logs: DeliveryLogs,
  events: readonly EventEnvelope[],
): Promise<number> {
  return logs.sent.locked(async () => {
    const acknowledged = await logs.sent.knownIds();
    const unsent = events.filter((e) => !acknowledged.has(e.event_id));
    const batches = await planBatches(unsent, acknowledged, logs);
    const total = batches.reduce((n, batch) => n + batch.length, 0);
    let sent = 0;
    for (const batch of batches) {
      await logs.attempts.locked(() => logs.attempts.append(attemptRecords(batch)));
      try {
        await postBatch(sink, batch);
      } catch (error) {
        throw withProgress(error, sent, total);
      }
      await logs.sent.append(batch.map((e) => ({ id: e.event_id, record: e.event_id })));
      sent += batch.length;
    }
    return sent;
  });
}

function withProgress(error: unknown, sent: number, total: number): unknown {
  if (!(error instanceof ApplicationFailure)) return error;
  return ApplicationFailure.create({
    message: `${error.message}; ${sent} of ${total} events sent, the rest stay queued`,
    type: error.type ?? undefined,
    nonRetryable: error.nonRetryable ?? false,
    nextRetryDelay: error.nextRetryDelay ?? undefined,
  });
}

function httpSink(deps: EventSinkDeps): HttpSink | undefined {
  if (!deps.eventsUrl || !deps.syncToken) return undefined;
  return { url: deps.eventsUrl, token: deps.syncToken, timeoutMs: deps.timeoutMs ?? 10_000 };
}

/** The project of a call's events: the queue is per project, so one call holds one project. */
function oneProject(events: readonly EventEnvelope[]): string | undefined {
  const projects = new Set(events.map((e) => e.project_uuid));
  const bad = events.find((e) => typeof e.event_id !== 'string' || e.event_id === '');
  if (bad) {
    throw ApplicationFailure.nonRetryable(
      `An event has no event_id (${bad.event_type} of sprint ${bad.sprint_id})`,
      'InvalidEvent',
    );
  }
  if (projects.size > 1) {
    throw ApplicationFailure.nonRetryable(
      `Events of several projects in one call (${[...projects].join(', ')}); record them per project`,
      'InvalidEvent',
    );
  }
  const [project] = projects;
  if (project !== undefined) checkProject(project);
  return project;
}

const PROJECT_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** A project uuid names a file: nothing may escape the events folder. */
function checkProject(project: string): void {
  if (!PROJECT_FILE_NAME.test(project)) {
    throw ApplicationFailure.nonRetryable(
      `Not a usable project_uuid: ${JSON.stringify(project)}`,
      'InvalidEvent',
    );
  }
}

function eventsDir(dataDir: string): string {
  return path.join(dataDir, 'events');
}

function queueLog(dataDir: string, project: string): JsonlLog {
  checkProject(project);
  return jsonlLog(path.join(eventsDir(dataDir), `${project}.jsonl`), eventIdOf);
}

function sentLog(dataDir: string, project: string): JsonlLog {
  checkProject(project);
  return jsonlLog(path.join(eventsDir(dataDir), `${project}.sent`), (record) =>
    typeof record === 'string' ? record : undefined,
  );
}

/** Which batch each event was POSTed in, written before the request. */
function attemptsLog(dataDir: string, project: string): JsonlLog {
  checkProject(project);
  return jsonlLog(path.join(eventsDir(dataDir), `${project}.attempts`), eventIdOf);
}

function eventIdOf(record: unknown): string | undefined {
  const id = (record as Partial<EventEnvelope> | null)?.event_id;
  return typeof id === 'string' ? id : undefined;
}

/** A project's queued events in file order, each id once (an unfinished last line is left out). */
async function readProject(dataDir: string, project: string): Promise<EventEnvelope[]> {
  const { records } = await readJsonl(queueLog(dataDir, project).file);
  const seen = new Set<string>();
  const events: EventEnvelope[] = [];
  for (const record of records) {
    const id = eventIdOf(record);
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    events.push(record as EventEnvelope);
  }
  return events;
}

async function queuedProjects(dataDir: string): Promise<string[]> {
  try {
    const names = await readdir(eventsDir(dataDir));
    return names
      .filter((n) => n.endsWith('.jsonl'))
      .map((n) => n.slice(0, -'.jsonl'.length))
      .filter((project) => PROJECT_FILE_NAME.test(project))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
