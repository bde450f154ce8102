import type { EventEnvelope } from '../domain/events';
import { MAX_BATCH, idempotencyKey } from './events-http';
import { readJsonl } from './events-log';
import type { JsonlLog } from './events-log';

/** One line of the attempts log: the batch (by its Idempotency-Key) an event was POSTed in. */
export interface AttemptRecord {
  event_id: string;
  key: string;
}

export function attemptRecords(
  batch: readonly EventEnvelope[],
): { id: string; record: AttemptRecord }[] {
  const key = idempotencyKey(batch);
  return batch.map((e) => ({ id: e.event_id, record: { event_id: e.event_id, key } }));
}

export interface BatchSources {
  /** Every batch ever POSTed, written before the request: event id → key. */
  attempts: JsonlLog;
  /** The project's queued events, to rebuild a batch whose events this call does not hold. */
  queued(): Promise<EventEnvelope[]>;
}

/**
 * The batches that send `unsent`. First, every batch an earlier call POSTed without seeing it
 * acknowledged (a worker lost mid-request, a timeout), exactly as it was: it goes out under the
 * same Idempotency-Key, so the backend can tell the repeat, however the events were grouped since
 * (a retry, the outbox, the sprint's next run, `sync flush`). Then the rest, MAX_BATCH at most each.
 */
export async function planBatches(
  unsent: readonly EventEnvelope[],
  acknowledged: ReadonlySet<string>,
  sources: BatchSources,
): Promise<EventEnvelope[][]> {
  const tried = await sources.attempts.knownIds();
  if (!unsent.some((e) => tried.has(e.event_id))) return chunks(unsent);
  const batches = await recordedBatches(sources.attempts.file);
  const known = new Map([...(await sources.queued()), ...unsent].map((e) => [e.event_id, e]));
  const again: EventEnvelope[][] = [];
  const taken = new Set<string>();
  for (const event of unsent) {
    const recorded = batches.get(event.event_id);
    if (recorded === undefined || taken.has(event.event_id)) continue;
    const batch = rebuild(recorded, known, acknowledged);
    if (!batch) continue; // cannot be sent as it was: its events go out in new batches
    for (const e of batch) taken.add(e.event_id);
    again.push(batch);
  }
  return [...again, ...chunks(unsent.filter((e) => !taken.has(e.event_id)))];
}

interface RecordedBatch {
  key: string;
  ids: string[];
}

/** event id → the first batch it was POSTed in (its ids in their order). */
async function recordedBatches(file: string): Promise<Map<string, RecordedBatch>> {
  const byKey = new Map<string, RecordedBatch>();
  const batchOf = new Map<string, RecordedBatch>();
  for (const record of (await readJsonl(file)).records) {
    if (!isAttempt(record) || batchOf.has(record.event_id)) continue;
    let batch = byKey.get(record.key);
    if (!batch) byKey.set(record.key, (batch = { key: record.key, ids: [] }));
    batch.ids.push(record.event_id);
    batchOf.set(record.event_id, batch);
  }
  return batchOf;
}

/** The batch as it was sent, or undefined when that is no longer possible. */
function rebuild(
  recorded: RecordedBatch,
  known: ReadonlyMap<string, EventEnvelope>,
  acknowledged: ReadonlySet<string>,
): EventEnvelope[] | undefined {
  const batch: EventEnvelope[] = [];
  for (const id of recorded.ids) {
    const event = known.get(id);
    if (event === undefined || acknowledged.has(id)) return undefined;
    batch.push(event);
  }
  return idempotencyKey(batch) === recorded.key ? batch : undefined;
}

function isAttempt(record: unknown): record is AttemptRecord {
  const r = record as Partial<AttemptRecord> | null;
  return typeof r?.event_id === 'string' && typeof r.key === 'string';
}

function chunks(events: readonly EventEnvelope[]): EventEnvelope[][] {
  const out: EventEnvelope[][] = [];
  for (let start = 0; start < events.length; start += MAX_BATCH) {
    out.push(events.slice(start, start + MAX_BATCH));
  }
  return out;
}
