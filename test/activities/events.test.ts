import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createEventActivities, flushQueue, readQueue } from '../../src/activities/events';
import type { EventSinkDeps } from '../../src/activities/events';
import { EVENT_SCHEMA_VERSION, eventId } from '../../src/domain/events';
import type { EventEnvelope } from '../../src/domain/events';

const TOKEN = 'sync-secret-token';
const PROJECT = '6f1c2a9e-0d4b-4c1e-9a57-3b2f8e7d1c00';

type Fault = 'none' | '500' | 'reset' | 'slow' | '401' | '429';

interface Received {
  headers: IncomingHttpHeaders;
  events: EventEnvelope[];
  status: number;
}

/** A sync backend on 127.0.0.1 that records what it gets and fails when told to. */
class Receiver {
  requests: Received[] = [];
  fault: Fault = 'none';
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { events } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        events: EventEnvelope[];
      };
      const reply = (status: number, headers: Record<string, string> = {}) => {
        this.requests.push({ headers: req.headers, events, status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify({ ok: status < 300 }));
      };
      switch (this.fault) {
        case 'reset':
          this.requests.push({ headers: req.headers, events, status: 0 });
          req.socket.destroy();
          return;
        case 'slow':
          setTimeout(() => reply(200), 1_000).unref();
          return;
        case '500':
          return reply(500);
        case '401':
          return reply(401);
        case '429':
          return reply(429, { 'retry-after': '7' });
        default:
          return reply(202);
      }
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/events`;
  }

  /** Event ids the backend accepted (2xx), as often as it accepted them. */
  get accepted(): string[] {
    return this.requests
      .filter((r) => r.status >= 200 && r.status < 300)
      .flatMap((r) => r.events.map((e) => e.event_id));
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }
}

let receiver: Receiver;
let dataDir: string;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.listen();
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(async () => {
  receiver.requests = [];
  receiver.fault = 'none';
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-events-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function online(extra: Partial<EventSinkDeps> = {}): EventSinkDeps {
  return { dataDir, eventsUrl: receiver.url, syncToken: TOKEN, timeoutMs: 2_000, ...extra };
}

function event(sequence: number, project = PROJECT): EventEnvelope {
  return {
    schema_version: EVENT_SCHEMA_VERSION,
    event_id: eventId('sprint-1', 'run-1', sequence, 1),
    event_type: 'WPStatusChanged',
    occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
    sprint_id: 'sprint-1',
    wp_id: `WP${String(sequence).padStart(2, '0')}`,
    sequence,
    attempt: 1,
    payload: { from: 'pending', to: 'in_progress', note: 'ünïcødé ✅' },
    project_uuid: project,
    project_slug: 'shop',
    node_id: 'node-1',
    team_slug: 'local',
  };
}

function events(from: number, to: number, project = PROJECT): EventEnvelope[] {
  return Array.from({ length: to - from + 1 }, (_, i) => event(from + i, project));
}

function queueFile(project = PROJECT): string {
  return path.join(dataDir, 'events', `${project}.jsonl`);
}

/** The ids in the queue file, one per complete line. */
async function idsInFile(project = PROJECT): Promise<string[]> {
  const text = await readFile(queueFile(project), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as EventEnvelope).event_id);
}

function ids(list: EventEnvelope[]): string[] {
  return list.map((e) => e.event_id);
}

/** The ApplicationFailure `promise` rejects with; fails when it resolves. Checks the token stays out. */
async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure)) {
    throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  }
  expect(`${error.message} ${error.stack ?? ''}`).not.toContain(TOKEN);
  return error;
}

test('without URL or token, events are only queued', async () => {
  for (const deps of [
    { dataDir },
    { dataDir, eventsUrl: receiver.url },
    { dataDir, syncToken: TOKEN },
  ]) {
    await rm(dataDir, { recursive: true, force: true });
    const result = await createEventActivities(deps).recordEvents(events(1, 3));
    expect(result).toEqual({
      appended: 3,
      alreadyQueued: 0,
      sent: 0,
      queueOnly: true,
      queueFile: queueFile(),
    });
    expect(await idsInFile()).toEqual(ids(events(1, 3)));
  }
  expect(receiver.requests).toHaveLength(0);
});

test('with URL and token, events arrive once with Idempotency-Key and Bearer token', async () => {
  const result = await createEventActivities(online()).recordEvents([event(1)]);
  expect(result).toMatchObject({ appended: 1, alreadyQueued: 0, sent: 1, queueOnly: false });
  expect(receiver.accepted).toEqual([event(1).event_id]);
  const [request] = receiver.requests;
  expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(request?.headers['content-type']).toBe('application/json');
  expect(request?.headers['idempotency-key']).toBe(event(1).event_id);
  expect(request?.events[0]).toEqual(event(1));

  await createEventActivities(online()).recordEvents(events(2, 3));
  const batchKey = receiver.requests[1]?.headers['idempotency-key'];
  expect(batchKey).toMatch(/^[0-9a-f]{64}$/);
  expect(receiver.requests[1]?.events.map((e) => e.event_id)).toEqual(ids(events(2, 3)));
});

test('a retry with the same events queues and sends nothing twice', async () => {
  const activities = createEventActivities(online());
  await activities.recordEvents(events(1, 5));
  const retry = await activities.recordEvents(events(1, 5));
  expect(retry).toMatchObject({ appended: 0, alreadyQueued: 5, sent: 0 });
  expect(await idsInFile()).toEqual(ids(events(1, 5)));
  expect(receiver.accepted).toEqual(ids(events(1, 5)));
});

test('a failing backend gives a retryable failure after queueing; the retry sends only the unsent', async () => {
  const activities = createEventActivities(online());
  await activities.recordEvents(events(1, 2)); // delivered before the outage

  for (const fault of ['500', 'reset', 'slow'] as const) {
    receiver.fault = fault;
    const error = await failure(
      createEventActivities(online({ timeoutMs: 300 })).recordEvents(events(1, 4)),
    );
    expect(error.type).toBe('SyncUnavailable');
    expect(error.nonRetryable).toBe(false);
    expect(await idsInFile()).toEqual(ids(events(1, 4)));
  }
  receiver.fault = 'none';
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // the slow reply lands, unacknowledged
  const attempted = receiver.requests.slice(1);
  expect(attempted.map((r) => r.events.map((e) => e.event_id))).toEqual([
    ids(events(3, 4)),
    ids(events(3, 4)),
    ids(events(3, 4)),
  ]);

  const retry = await activities.recordEvents(events(1, 4));
  expect(retry).toMatchObject({ appended: 0, alreadyQueued: 4, sent: 2 });
  expect(ids(receiver.requests.at(-1)?.events ?? [])).toEqual(ids(events(3, 4)));
  // only the slow attempt (timed out here, accepted there) can repeat: its Idempotency-Key dedups it
  const accepted = receiver.accepted;
  expect(new Set(accepted)).toEqual(new Set(ids(events(1, 4))));
  expect(accepted.filter((id) => id === event(1).event_id)).toHaveLength(1);
});

test('after a 500 and recovery, the receiver has each event exactly once', async () => {
  receiver.fault = '500';
  const activities = createEventActivities(online());
  await failure(activities.recordEvents(events(1, 3)));
  receiver.fault = 'none';
  await activities.recordEvents(events(1, 3));
  await activities.recordEvents(events(1, 3));
  expect(receiver.accepted).toEqual(ids(events(1, 3)));
  expect(await flushQueue(online())).toEqual({ sent: 0, pending: 0 });
});

test('401 is SyncUnauthorized, not retryable, and the events stay queued', async () => {
  receiver.fault = '401';
  const error = await failure(createEventActivities(online()).recordEvents(events(1, 2)));
  expect(error.type).toBe('SyncUnauthorized');
  expect(error.nonRetryable).toBe(true);
  expect(error.message).toMatch(/log in again/);
  expect(await idsInFile()).toEqual(ids(events(1, 2)));
  expect(await flushQueue({ dataDir })).toEqual({ sent: 0, pending: 2 });
});

test('429 is SyncRateLimited with the Retry-After delay', async () => {
  receiver.fault = '429';
  const error = await failure(createEventActivities(online()).recordEvents([event(1)]));
  expect(error.type).toBe('SyncRateLimited');
  expect(error.nextRetryDelay).toBe(7_000);
});

test('a half-written last line from a crash is cut off and the event written again', async () => {
  const activities = createEventActivities({ dataDir });
  await activities.recordEvents(events(1, 2));
  const partial = JSON.stringify(event(3)).slice(0, 40);
  await appendFile(queueFile(), partial); // the crash: no '\n', no fsync'd completion

  expect(ids(await readQueue(dataDir, PROJECT))).toEqual(ids(events(1, 2)));
  const retry = await activities.recordEvents(events(1, 4));
  expect(retry).toMatchObject({ appended: 2, alreadyQueued: 2 });
  expect(await idsInFile()).toEqual(ids(events(1, 4)));

  // a crash before the first ever line completed, seen by a process with no memory of the file
  const other = path.join(dataDir, 'events', 'other-project.jsonl');
  await writeFile(other, partial);
  const fresh = await createEventActivities({ dataDir }).recordEvents(
    events(1, 1, 'other-project'),
  );
  expect(fresh).toMatchObject({ appended: 1, alreadyQueued: 0 });
  expect(await idsInFile('other-project')).toEqual([event(1).event_id]);
});

test('50 concurrent calls with overlapping ids write and send each id once', async () => {
  const activities = createEventActivities(online());
  const calls = Array.from({ length: 50 }, (_, i) =>
    activities.recordEvents(events(i + 1, i + 10)),
  );
  const results = await Promise.all(calls);
  const all = ids(events(1, 59));
  expect(results.reduce((n, r) => n + r.appended, 0)).toBe(59);
  expect(results.reduce((n, r) => n + r.sent, 0)).toBe(59);
  expect((await idsInFile()).sort()).toEqual([...all].sort());
  expect([...receiver.accepted].sort()).toEqual([...all].sort());
});

test('flushQueue sends what was queued while offline, and nothing twice', async () => {
  await createEventActivities({ dataDir }).recordEvents(events(1, 3));
  await createEventActivities({ dataDir }).recordEvents(events(1, 2, 'second-project'));
  expect(await flushQueue({ dataDir })).toEqual({ sent: 0, pending: 5 });
  expect(receiver.requests).toHaveLength(0);

  expect(await flushQueue({ ...online(), projectUuid: PROJECT })).toEqual({ sent: 3, pending: 0 });
  expect(await flushQueue(online())).toEqual({ sent: 2, pending: 0 });
  expect(await flushQueue(online())).toEqual({ sent: 0, pending: 0 });
  const again = await createEventActivities(online()).recordEvents(events(1, 3));
  expect(again).toMatchObject({ appended: 0, alreadyQueued: 3, sent: 0 });
  expect(receiver.accepted.sort()).toEqual(
    [...ids(events(1, 3)), ...ids(events(1, 2, 'second-project'))].sort(),
  );
});

test('readQueue returns the events in file order, per project or all', async () => {
  const activities = createEventActivities({ dataDir });
  await activities.recordEvents([event(3), event(1)]);
  await activities.recordEvents([event(2), event(1)]);
  await activities.recordEvents([event(9, '0-project')]);
  expect(await readQueue(dataDir, PROJECT)).toEqual([event(3), event(1), event(2)]);
  expect(ids(await readQueue(dataDir))).toEqual([
    event(9, '0-project').event_id,
    ...ids([event(3), event(1), event(2)]),
  ]);
  expect(await readQueue(path.join(dataDir, 'nothing-here'))).toEqual([]);
});

test('250 events go out in batches of at most 100', async () => {
  const result = await createEventActivities(online()).recordEvents(events(1, 250));
  expect(result).toMatchObject({ appended: 250, sent: 250 });
  expect(receiver.requests.map((r) => r.events.length)).toEqual([100, 100, 50]);
  const keys = receiver.requests.map((r) => r.headers['idempotency-key']);
  expect(new Set(keys).size).toBe(3);
  expect(receiver.accepted).toEqual(ids(events(1, 250)));
});

test('events of several projects in one call, or an unsafe project uuid, are rejected', async () => {
  const mixed = await failure(
    createEventActivities({ dataDir }).recordEvents([event(1), event(2, 'other')]),
  );
  expect(mixed.type).toBe('InvalidEvent');
  const escape = await failure(createEventActivities({ dataDir }).recordEvents([event(1, '../x')]));
  expect(escape.nonRetryable).toBe(true);
});
