import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { ServiceError } from '../service/errors';
import { getSprint, readSprint } from '../service/sprints';
import type { SprintProgress } from '../domain/progress';
import { errorBody, sprintParams, statusBody } from './schemas';
import type { ZodApp } from './schemas';

export interface StreamOptions {
  /** How often a watched sprint's state is read (default 500 ms), once for all its clients. */
  pollMs?: number;
  /** How often each stream sends a `: keep-alive` comment, so proxies keep it open (default 15 s). */
  keepAliveMs?: number;
  /** Called on every read of a sprint's state, with the number of clients it serves. */
  onPoll?: (sprintId: string, clients: number) => void;
}

export interface StreamDeps extends StreamOptions {
  client: Client;
  /** The JSON of `GET /sprints/:id`: the stream sends exactly that. */
  statusJson: (state: SprintProgress) => object;
}

/** One state of a sprint as the stream sends it; `id` is a digest of `data`. */
interface SprintEvent {
  id: string;
  data: string;
  ended: boolean;
}

interface Subscriber {
  send(event: SprintEvent): void;
  close(): void;
}

const DEFAULT_POLL_MS = 500;
const DEFAULT_KEEP_ALIVE_MS = 15_000;

/**
 * `GET /sprints/:id/stream`: Server-Sent Events, one `status` event per change of the sprint's
 * status JSON (the first is the current state), then an `end` event with the final state.
 */
export function registerSprintStream(app: ZodApp, deps: StreamDeps): void {
  const pollers = new Map<string, SprintPoller>();
  const open = new Set<ServerResponse>();

  const pollerFor = (id: string): SprintPoller => {
    let poller = pollers.get(id);
    if (!poller) {
      poller = new SprintPoller(id, deps, app.log, () => pollers.delete(id));
      pollers.set(id, poller);
    }
    return poller;
  };

  // Open streams would hold `close()` forever: end them first.
  app.addHook('preClose', async () => {
    for (const poller of pollers.values()) poller.stop();
    for (const response of open) response.end();
  });

  app.get(
    '/sprints/:id/stream',
    {
      schema: {
        summary: "The sprint's status JSON, live, as Server-Sent Events",
        description:
          'One `status` event per change of the status JSON of `GET /sprints/:id` (the first ' +
          'is the current state), a `: keep-alive` comment every 15 s, then an `end` event ' +
          'with the final state, and the stream closes. Each event has an `id`; reconnect ' +
          'with `Last-Event-ID` and an unchanged state is not sent again.',
        params: sprintParams,
        headers: z.looseObject({ 'last-event-id': z.string().optional() }),
        produces: ['text/event-stream'],
        response: {
          200: {
            description: "Each event's `data` is the sprint status JSON, as below.",
            content: { 'text/event-stream': { schema: statusBody } },
          },
          401: errorBody,
          404: errorBody,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await getSprint(deps.client, id);
      reply.hijack();
      const response = reply.raw;
      // Headers set by hooks so far (rate limit) are kept.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) response.setHeader(name, value);
      }
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      response.flushHeaders();
      open.add(response);
      const subscriber = streamTo(response, request.headers['last-event-id']);
      const keepAlive = setInterval(
        () => writable(response) && response.write(': keep-alive\n\n'),
        deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
      );
      const poller = pollerFor(id);
      response.once('close', () => {
        clearInterval(keepAlive);
        open.delete(response);
        poller.leave(subscriber);
      });
      poller.join(subscriber);
      return reply;
    },
  );
}

/** Writes events to one client, skipping a state it has already seen. */
function streamTo(response: ServerResponse, lastEventId: string | undefined): Subscriber {
  let lastSent = lastEventId;
  return {
    send(event) {
      if (!writable(response)) return;
      // The end is always sent: it is what tells a resuming client to stop.
      if (event.id === lastSent && !event.ended) return;
      lastSent = event.id;
      response.write(
        `event: ${event.ended ? 'end' : 'status'}\nid: ${event.id}\ndata: ${event.data}\n\n`,
      );
    },
    close() {
      response.end();
    },
  };
}

/**
 * Reads one sprint's state every `pollMs` for all of its clients, and sends each change to
 * them. Stops when the last client leaves or the sprint ends.
 */
class SprintPoller {
  private readonly subscribers = new Set<Subscriber>();
  private latest?: SprintEvent;
  private timer?: NodeJS.Timeout;
  private started = false;
  private stopped = false;

  constructor(
    private readonly id: string,
    private readonly deps: StreamDeps,
    private readonly log: FastifyBaseLogger,
    private readonly onStop: () => void,
  ) {}

  join(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    if (this.latest) subscriber.send(this.latest);
    if (this.started) return;
    this.started = true;
    void this.tick();
  }

  leave(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.onStop();
  }

  private async tick(): Promise<void> {
    this.deps.onPoll?.(this.id, this.subscribers.size);
    try {
      const event = await this.read();
      if (this.stopped) return;
      if (event.id !== this.latest?.id || event.ended) {
        this.latest = event;
        for (const subscriber of this.subscribers) subscriber.send(event);
      }
      if (event.ended) return this.finish();
    } catch (error) {
      if (this.stopped) return;
      if (error instanceof ServiceError && error.kind === 'not-found') return this.finish();
      // No worker answered, or Temporal is briefly away: the next read will tell.
      this.log.warn({ sprint: this.id, err: error }, 'reading the sprint for its stream failed');
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.pollMs);
  }

  private async read(): Promise<SprintEvent> {
    const state = await readSprint(this.deps.client, this.id);
    const data = JSON.stringify(this.deps.statusJson(state));
    return { id: digest(data), data, ended: state.status !== 'running' };
  }

  private finish(): void {
    this.stop();
    for (const subscriber of this.subscribers) subscriber.close();
  }

  private get pollMs(): number {
    return this.deps.pollMs ?? DEFAULT_POLL_MS;
  }
}

function writable(response: ServerResponse): boolean {
  return !response.writableEnded && !response.destroyed;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
