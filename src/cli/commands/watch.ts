import type { StatusJson } from '../../schemas/status-json';
import { workflowUrl } from '../../runtime/temporal';
import { ApiRequestError, ApiUnreachable, apiClientFromEnv } from '../api-client';
import type { ApiClient } from '../api-client';
import { CliError, exitCodeFor } from '../errors';
import { followSprint } from '../follow';
import type { CliIO } from '../io';
import { createLiveView } from '../live';
import { withSession } from '../session';
import { getSprint } from '../../service/sprints';
import { parseStatusJson } from '../status-reply';

export interface WatchOptions {
  json?: boolean;
  /** Reconnections in a row before giving up (default 5). */
  retries?: number;
  /** The wait before the first reconnection; it doubles each time (default 250 ms). */
  retryDelayMs?: number;
}

/**
 * Follows a sprint live until it ends, then prints its summary (or its JSON). Through the API
 * when SPRINTWAVE_URL is set, otherwise by asking Temporal like `status`. Exit 0 only when it
 * completed.
 */
export async function watchCommand(id: string, options: WatchOptions, io: CliIO): Promise<number> {
  const api = apiClientFromEnv();
  return api ? watchOverApi(api, id, options, io) : watchOverTemporal(id, options, io);
}

async function watchOverTemporal(id: string, options: WatchOptions, io: CliIO): Promise<number> {
  return withSession(io, { worker: 'never' }, async (session) => {
    const { handle } = await getSprint(session.temporal.client, id);
    const { uiUrl, namespace } = session.temporal;
    return followSprint(handle, io, {
      json: options.json,
      links: { webUi: uiUrl && workflowUrl(uiUrl, namespace, id) },
      signal: session.interrupted,
    });
  });
}

/** Reads `GET /sprints/:id/stream`, shows each state live, and resumes a dropped connection. */
export async function watchOverApi(
  api: ApiClient,
  id: string,
  options: WatchOptions,
  io: CliIO,
): Promise<number> {
  const view = options.json ? undefined : createLiveView(io);
  let final: { json: unknown; state: StatusJson };
  try {
    final = await followStream(api, id, options, io, (state) => view?.update(state));
    view?.update(final.state);
  } finally {
    view?.stop();
  }
  if (options.json) io.out(JSON.stringify(final.json, null, 2));
  else io.out(`\n${(await api.text(`/sprints/${encodeURIComponent(id)}/report`)).trimEnd()}`);
  return exitCodeFor(final.state);
}

async function followStream(
  api: ApiClient,
  id: string,
  options: WatchOptions,
  io: CliIO,
  onState: (state: StatusJson) => void,
): Promise<{ json: unknown; state: StatusJson }> {
  const path = `/sprints/${encodeURIComponent(id)}/stream`;
  const retries = options.retries ?? 5;
  let lastEventId: string | undefined;
  let failures = 0;
  for (;;) {
    let problem = 'the stream closed before the sprint ended';
    try {
      for await (const event of await api.stream(path, lastEventId)) {
        failures = 0;
        if (event.id) lastEventId = event.id;
        const json = parseEventData(event.data);
        const state = parseStatusJson(json);
        if (event.event === 'end') return { json, state };
        onState(state);
      }
    } catch (error) {
      if (!worthRetrying(error)) throw error;
      problem = error instanceof Error ? error.message : String(error);
    }
    failures++;
    if (failures > retries) {
      throw new CliError(`Lost the stream of sprint ${id} from ${api.url}: ${problem}`);
    }
    io.err(`The stream of sprint ${id} broke (${problem}); resuming (${failures}/${retries}).`);
    await sleep((options.retryDelayMs ?? 250) * 2 ** (failures - 1));
  }
}

/** A connection that broke or a server briefly away; not a refusal, not a bad answer. */
function worthRetrying(error: unknown): boolean {
  if (error instanceof ApiRequestError) return error.status >= 500;
  return error instanceof ApiUnreachable || !(error instanceof CliError);
}

function parseEventData(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    throw new CliError(`The API sent an event that is not JSON: ${data.slice(0, 200)}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
