import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createEventActivities, flushQueue } from '../../src/activities/events';
import type { EventSinkDeps } from '../../src/activities/events';
import { EVENT_SCHEMA_VERSION, eventId } from '../../src/domain/events';
import type { EventEnvelope } from '../../src/domain/events';

const TOKEN = 'sync-resend-token';
const PROJECT = '0b8d7c52-31a4-4c7e-8f0e-5a6b7c8d9e01';

interface Request {
  key: string;
  sequences: number[];
}

/** A backend that takes every request in but, when told, hangs up before answering. */
class Backend {
  requests: Request[] = [];
  hangUps = 0;
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { events } = JSON.parse(body) as { events: EventEnvelope[] };
      const key = String(req.headers['idempotency-key']);
      this.requests.push({ key, sequences: events.map((e) => e.sequence) });
      if (this.hangUps > 0) {
        this.hangUps--;
        req.socket.destroy(); // taken in, never acknowledged: what a sender lost mid-request sees
        return;
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }

  /** Event sequences taken under more than one Idempotency-Key: a backend that honours keys keeps them twice. */
  underSeveralKeys(): number[] {
    const keys = new Map<number, Set<string>>();
    for (const { key, sequences } of this.requests) {
      for (const s of sequences) keys.set(s, (keys.get(s) ?? new Set()).add(key));
    }
    return [...keys].filter(([, set]) => set.size > 1).map(([s]) => s);
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function event(sequence: number): EventEnvelope {
  return {
    schema_version: EVENT_SCHEMA_VERSION,
    event_id: eventId('sprint-r', 'run-1', sequence, 1),
    event_type: 'WPProgress',
    occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
    sprint_id: 'sprint-r',
    sequence,
    attempt: 1,
    payload: {},
    project_uuid: PROJECT,
    project_slug: 'shop',
    node_id: 'node-1',
    team_slug: 'local',
  };
}

function events(...sequences: number[]): EventEnvelope[] {
  return sequences.map(event);
}

describe('a batch taken in by the backend but never acknowledged', () => {
  let backend: Backend;
  let deps: EventSinkDeps;

  beforeEach(async () => {
    backend = new Backend();
    await backend.listen();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-resend-'));
    deps = { dataDir, eventsUrl: backend.url, syncToken: TOKEN, timeoutMs: 2_000 };
  });

  afterEach(async () => {
    await backend.close();
    await rm(deps.dataDir, { recursive: true, force: true });
  });

  it('goes out again as it was, under its key, when the next call groups the events otherwise', async () => {
    backend.hangUps = 1;
    await expect(createEventActivities(deps).recordEvents(events(1, 2, 3))).rejects.toThrow(
      /unreachable/,
    );
    // The outbox or the next run hands over the lost batch together with newer events.
    const result = await createEventActivities(deps).recordEvents(events(2, 3, 4, 5));

    expect(result.sent).toBe(5);
    const [lost, repeat, rest] = backend.requests;
    expect(backend.requests).toHaveLength(3);
    expect(repeat).toEqual(lost);
    expect(repeat?.sequences).toEqual([1, 2, 3]);
    expect(rest?.sequences).toEqual([4, 5]);
    expect(backend.underSeveralKeys()).toEqual([]);
  });

  it('is sent under its key by `sync flush` too, and nothing goes out a third time', async () => {
    backend.hangUps = 1;
    await expect(createEventActivities(deps).recordEvents(events(1, 2))).rejects.toThrow();
    await createEventActivities({ dataDir: deps.dataDir }).recordEvents(events(3));

    expect(await flushQueue(deps)).toEqual({ sent: 3, pending: 0 });
    expect(await flushQueue(deps)).toEqual({ sent: 0, pending: 0 });
    expect(backend.requests.map((r) => r.sequences)).toEqual([[1, 2], [1, 2], [3]]);
    expect(backend.underSeveralKeys()).toEqual([]);
  });
});
