import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventEnvelope } from '../../src/domain/events';

export interface EventReceiver {
  url: string;
  /** Every event received, duplicates included, in arrival order. */
  received: EventEnvelope[];
  keys: string[];
  /** Each accepted request: its Idempotency-Key and its events' ids. */
  requests: { key: string; eventIds: string[] }[];
  /** Answer the next `count` requests with 500. */
  failNext(count: number): void;
  close(): Promise<void>;
}

/** A sync backend on loopback that records what it gets. */
export async function startEventReceiver(token: string): Promise<EventReceiver> {
  const received: EventEnvelope[] = [];
  const keys: string[] = [];
  const requests: { key: string; eventIds: string[] }[] = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401).end();
        return;
      }
      if (failures > 0) {
        failures--;
        res.writeHead(500).end();
        return;
      }
      const key = String(req.headers['idempotency-key']);
      const { events } = JSON.parse(body) as { events: EventEnvelope[] };
      keys.push(key);
      requests.push({ key, eventIds: events.map((e) => e.event_id) });
      received.push(...events);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    received,
    keys,
    requests,
    failNext: (count) => void (failures = count),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sequences 1..n with no gap, and no event id twice. */
export function checkStream(events: EventEnvelope[]): { duplicates: number; gaps: number[] } {
  const ids = new Set<string>();
  let duplicates = 0;
  for (const event of events) {
    if (ids.has(event.event_id)) duplicates++;
    ids.add(event.event_id);
  }
  const sequences = [...new Set(events.map((e) => e.sequence))].sort((a, b) => a - b);
  const gaps = sequences.filter((s, i) => s !== i + 1);
  return { duplicates, gaps };
}

/**
 * A sprint's events as a sync backend that honours Idempotency-Key takes them in: a request
 * under a key it accepted before is a repeat (a sender lost before the answer sends the batch
 * again), not new events. An event that comes under two keys is taken twice: a duplicate.
 */
export interface EventDelivery {
  delivered: EventEnvelope[];
  /** Events of requests that repeated an earlier request's key. */
  repeats: number;
}

export function sprintDelivery(receiver: EventReceiver, sprintId: string): EventDelivery {
  const seenKeys = new Set<string>();
  const delivered: EventEnvelope[] = [];
  let repeats = 0;
  let at = 0;
  // `received` holds every request's events, request after request.
  for (const { key, eventIds } of receiver.requests) {
    const events = receiver.received
      .slice(at, (at += eventIds.length))
      .filter((event) => event.sprint_id === sprintId);
    if (seenKeys.has(key)) repeats += events.length;
    else delivered.push(...events);
    seenKeys.add(key);
  }
  return { delivered, repeats };
}
