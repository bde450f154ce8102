import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import type { AppDeps } from '../../src/api/app';
import { startHarness, sprint, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { uniqueId } from '../support/temporal';

jest.setTimeout(60_000);

const TOKEN = 'stream-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const POLL_MS = 100;
const KEEP_ALIVE_MS = 200;

/** One frame of the stream as sent: an event, or a comment line. */
interface Frame {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

interface Status {
  id: string;
  status: string;
  packages: Array<{ id: string; status: string }>;
}

/** Reads a stream through `fetch`, parsing its frames independently of the CLI's parser. */
class StreamReader {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private readonly abort = new AbortController();

  private constructor(readonly response: Response) {
    this.closed = this.read();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<StreamReader> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { ...AUTH, ...headers },
      signal: controller.signal,
    });
    const reader = new StreamReader(response);
    reader.abort.signal.addEventListener('abort', () => controller.abort());
    return reader;
  }

  get events(): Frame[] {
    return this.frames.filter((frame) => frame.event);
  }

  close(): void {
    this.abort.abort();
  }

  async next(test: (frame: Frame) => boolean, what: string, ms = 25_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(test);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.frames)}`);
      }
      await sleep(25);
    }
  }

  private async read(): Promise<void> {
    if (!this.response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of this.response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.frames.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (!this.abort.signal.aborted) throw error;
    }
  }
}

function parseFrame(text: string): Frame {
  const frame: Frame = {};
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1);
    const match = /^(event|id|data): (.*)$/.exec(line);
    if (match) frame[match[1] as 'event' | 'id' | 'data'] = match[2];
  }
  return frame;
}

const json = (frame: Frame): Status => JSON.parse(frame.data ?? 'null') as Status;
const wpStatus = (status: Status, id: string) => status.packages.find((p) => p.id === id)?.status;
const isStatus = (frame: Frame) => frame.event === 'status';
const isKeepAlive = (frame: Frame) => frame.comment === ' keep-alive';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Poll {
  id: string;
  clients: number;
  at: number;
}

describe('GET /sprints/:id/stream through a real listener', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let base: string;
  const polls: Poll[] = [];
  const opened: StreamReader[] = [];

  async function listen(extra: Partial<AppDeps> = {}): Promise<[FastifyInstance, string]> {
    const built = await buildApp({
      client: harness.temporal.client,
      config: { ...harness.config, api: { ...harness.config.api, token: TOKEN } },
      stream: {
        pollMs: POLL_MS,
        keepAliveMs: KEEP_ALIVE_MS,
        onPoll: (id, clients) => polls.push({ id, clients, at: Date.now() }),
      },
      ...extra,
    });
    return [built, await built.listen({ port: 0, host: '127.0.0.1' })];
  }

  async function open(id: string, headers?: Record<string, string>, on = base) {
    const reader = await StreamReader.open(`${on}/sprints/${id}/stream`, headers);
    opened.push(reader);
    return reader;
  }

  /**
   * A sprint whose WP01 runs until `release()`, then WP02 after it; with `holdSecond`, WP02
   * runs until `releaseSecond()`, so a reader cannot miss it in progress on a loaded machine.
   */
  async function waitingSprint({ holdSecond = false } = {}) {
    const marker = path.join(harness.sandbox.dir, uniqueId('release'));
    const second = path.join(harness.sandbox.dir, uniqueId('release-second'));
    const waitFor = (file: string) => `while [ ! -f ${file} ]; do sleep 0.1; done`;
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Waits', run: `${waitFor(marker)}; echo one > one.txt` },
        {
          id: 'WP02',
          title: 'After it',
          dependsOn: ['WP01'],
          run: `${holdSecond ? `${waitFor(second)}; ` : ''}echo two > two.txt`,
        },
      ],
    });
    await startSprint(harness, { spec });
    return {
      id: spec.id,
      release: () => writeFile(marker, ''),
      releaseSecond: () => writeFile(second, ''),
    };
  }

  beforeAll(async () => {
    harness = await startHarness();
    worker = await harness.worker();
    running = worker.run();
    [app, base] = await listen();
  });

  afterAll(async () => {
    for (const reader of opened) reader.close();
    await app.close();
    worker.shutdown();
    await running;
    await harness.close();
  });

  it('answers 404 JSON for an unknown sprint and 401 without the token, before any stream', async () => {
    const missing = await fetch(`${base}/sprints/no-such-sprint/stream`, { headers: AUTH });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await missing.json()).toEqual({ error: 'No sprint with id no-such-sprint.' });
    const anonymous = await fetch(`${base}/sprints/no-such-sprint/stream`);
    expect(anonymous.status).toBe(401);
    expect(polls.filter((poll) => poll.id === 'no-such-sprint')).toEqual([]);
  });

  it('sends the current state first, each change, keep-alives, then the end, and closes', async () => {
    const sprintRun = await waitingSprint({ holdSecond: true });
    const stream = await open(sprintRun.id);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const first = json(await stream.next(isStatus, 'the first event'));
    expect(first).toMatchObject({
      id: sprintRun.id,
      status: 'running',
      links: { self: `/sprints/${sprintRun.id}` },
    });
    await stream.next(
      (frame) => isStatus(frame) && wpStatus(json(frame), 'WP01') === 'in_progress',
      'WP01 in progress',
    );
    await stream.next(isKeepAlive, 'a keep-alive comment');

    // The stream sends the JSON of GET /sprints/:id.
    const response = await fetch(`${base}/sprints/${sprintRun.id}`, { headers: AUTH });
    // Parsed here, not by fetch: deep equality also compares prototypes, and fetch's are another realm's.
    const current = JSON.parse(await response.text()) as Status;
    await stream.next(
      (frame) => isStatus(frame) && isDeepStrictEqual(json(frame), current),
      'an event equal to GET /sprints/:id',
    );

    await sprintRun.release();
    await stream.next(
      (frame) => isStatus(frame) && wpStatus(json(frame), 'WP02') === 'in_progress',
      'WP02 in progress',
    );
    await sprintRun.releaseSecond();
    const end = await stream.next((frame) => frame.event === 'end', 'the end event');
    expect(json(end)).toMatchObject({ status: 'completed' });
    expect(wpStatus(json(end), 'WP02')).toBe('completed');
    await stream.closed;

    const events = stream.events;
    expect(events.at(-1)).toBe(end);
    expect(events.every((event) => event.id && event.data)).toBe(true);
    const ids = events.slice(0, -1).map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const seen = events.map((event) => wpStatus(json(event), 'WP01'));
    expect(seen).toContain('in_progress');
    expect(seen.at(-1)).toBe('completed');
    expect(events.some((event) => wpStatus(json(event), 'WP02') === 'in_progress')).toBe(true);
  });

  it('shares one poller between clients, stops it when they leave, and resumes from Last-Event-ID', async () => {
    const sprintRun = await waitingSprint();
    const a = await open(sprintRun.id);
    const b = await open(sprintRun.id);
    const inProgress = (frame: Frame) =>
      isStatus(frame) && wpStatus(json(frame), 'WP01') === 'in_progress';
    await a.next(inProgress, 'WP01 in progress on the first client');
    await b.next(inProgress, 'WP01 in progress on the second client');

    const ofSprint = () => polls.filter((poll) => poll.id === sprintRun.id);
    const count = () => ofSprint().length;
    const before = count();
    while (count() < before + 5) await sleep(POLL_MS);
    // One poller, for both clients: its reads follow each other an interval apart (Node's
    // timers may fire a millisecond early); one per client would read about twice as often.
    const window = ofSprint().slice(before);
    const gaps = window.slice(1).map((poll, i) => poll.at - (window[i] as Poll).at);
    expect(gaps.filter((gap) => gap < POLL_MS - 2)).toEqual([]);
    expect(window.map((poll) => poll.clients)).toEqual(window.map(() => 2));

    const lastSeen = b.events.at(-1) as Frame;
    a.close();
    b.close();
    await Promise.all([a.closed, b.closed]);
    // The poller stops once the server sees both clients gone: no read for five intervals.
    let stopped = -1;
    for (let tries = 0; tries < 20 && count() !== stopped; tries++) {
      stopped = count();
      await sleep(POLL_MS * 5);
    }
    expect(count()).toBe(stopped);

    const resumed = await open(sprintRun.id, { 'last-event-id': lastSeen.id as string });
    await resumed.next(isKeepAlive, 'a keep-alive on the resumed stream');
    await sleep(POLL_MS * 5);
    expect(count()).toBeGreaterThan(stopped);
    expect(resumed.events).toEqual([]);

    await sprintRun.release();
    const end = await resumed.next((frame) => frame.event === 'end', 'the end event');
    expect(json(end).status).toBe('completed');
    await resumed.closed;
  });

  it('sends the end at once for a sprint that has ended, even to a client that saw it', async () => {
    const sprintRun = await waitingSprint();
    await sprintRun.release();
    await harness.temporal.client.workflow.getHandle(sprintRun.id).result();
    const stream = await open(sprintRun.id);
    await stream.closed;
    expect(stream.events.map((event) => event.event)).toEqual(['end']);
    const again = await open(sprintRun.id, { 'last-event-id': stream.events[0]?.id as string });
    await again.closed;
    expect(again.events.map((event) => [event.event, event.id])).toEqual([
      ['end', stream.events[0]?.id],
    ]);
  });

  it('is in the OpenAPI document as text/event-stream', async () => {
    const response = await fetch(`${base}/docs/json`, { headers: AUTH });
    const doc = (await response.json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }>;
    };
    const route = doc.paths['/sprints/{id}/stream']?.get;
    expect(Object.keys(route?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(Object.keys(route?.responses ?? {})).toEqual(expect.arrayContaining(['401', '404']));
  });

  it('ends open streams when the app closes', async () => {
    const sprintRun = await waitingSprint();
    const [other, url] = await listen();
    const stream = await open(sprintRun.id, {}, url);
    await stream.next(isStatus, 'the first event');
    await other.close();
    await stream.closed;
    const count = polls.filter((poll) => poll.id === sprintRun.id).length;
    await sleep(POLL_MS * 4);
    expect(polls.filter((poll) => poll.id === sprintRun.id)).toHaveLength(count);
    await sprintRun.release();
  });
});
