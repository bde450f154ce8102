import { createParser } from 'eventsource-parser';
import { loadConfig } from '../runtime/config';
import { CliError, EXIT } from './errors';

/** One Server-Sent Event: `event` is `message` when the server named none. */
export interface ServerSentEvent {
  event: string;
  id?: string;
  data: string;
}

interface ErrorBody {
  error?: string;
  issues?: Array<{ path: string; message: string }>;
}

/** The API refused a request: its `error`, each issue as `path: message`, an exit code. */
export class ApiRequestError extends CliError {
  override name = 'ApiRequestError';
  constructor(
    readonly status: number,
    body: ErrorBody,
  ) {
    super(describeRefusal(status, body), refusalExitCode(status));
  }
}

/** Temporal's answers say nothing about bad input; the API's 400, 404, 409 and 413 do. */
function refusalExitCode(status: number): number {
  return [400, 404, 409, 413, 422].includes(status) ? EXIT.badInput : EXIT.sprintFailed;
}

function describeRefusal(status: number, body: ErrorBody): string {
  let message = body.error ?? `the API answered ${status}`;
  if (status === 401) message += ' Set SPRINTWAVE_API_TOKEN to the API token.';
  const issues = body.issues ?? [];
  return issues.length
    ? `${message}:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n')}`
    : message;
}

/** The sprintwave HTTP API at `SPRINTWAVE_URL`, with `SPRINTWAVE_API_TOKEN` as bearer token. */
export class ApiClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token?: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /** A JSON request; a 4xx or 5xx answer throws `ApiRequestError`. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) throw new ApiRequestError(response.status, asErrorBody(parsed, text));
    if (parsed === undefined) {
      throw new CliError(
        `The API at ${this.base} answered ${path} with no JSON: ${text.slice(0, 200)}`,
      );
    }
    return parsed as T;
  }

  /** A text answer (`GET /sprints/:id/report`); a 4xx or 5xx answer throws `ApiRequestError`. */
  async text(path: string): Promise<string> {
    const response = await this.fetch(path, { headers: { accept: 'text/markdown, text/plain' } });
    const text = await response.text();
    if (!response.ok)
      throw new ApiRequestError(response.status, asErrorBody(parseJson(text), text));
    return text;
  }

  /** Opens an event stream; resolves once the server accepted it (a refusal throws). */
  async stream(
    path: string,
    lastEventId?: string,
    signal?: AbortSignal,
  ): Promise<AsyncGenerator<ServerSentEvent>> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const response = await this.fetch(path, { headers, signal });
    if (!response.ok) {
      const text = await response.text();
      throw new ApiRequestError(response.status, asErrorBody(parseJson(text), text));
    }
    if (!response.body) throw new CliError(`The API at ${this.base} sent no stream for ${path}.`);
    return readEvents(response.body);
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    try {
      return await fetch(`${this.base}${path}`, { ...init, headers });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiUnreachable(this.base, error);
    }
  }
}

/** The request never got an answer: the API is down, or the address is wrong. */
export class ApiUnreachable extends CliError {
  override name = 'ApiUnreachable';
  constructor(url: string, error: unknown) {
    super(`Cannot reach the sprintwave API at ${url}: ${reason(error)}`);
  }
}

function reason(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asErrorBody(parsed: unknown, text: string): ErrorBody {
  if (parsed && typeof parsed === 'object' && typeof (parsed as ErrorBody).error === 'string') {
    return parsed as ErrorBody;
  }
  return { error: text.trim().slice(0, 200) || undefined };
}

/** The API client when SPRINTWAVE_URL is set; undefined means: talk to Temporal directly. */
export function apiClientFromEnv(env: NodeJS.ProcessEnv = process.env): ApiClient | undefined {
  const { api } = loadConfig(env);
  return api.remoteUrl ? new ApiClient(api.remoteUrl, api.token) : undefined;
}

/** The events of a `text/event-stream` body, as the WHATWG rules read them. */
export async function* readEvents(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  const parsed: ServerSentEvent[] = [];
  const parser = createParser({
    onEvent: ({ event, id, data }) => parsed.push({ event: event ?? 'message', id, data }),
  });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    yield* parsed.splice(0);
  }
}
