import { ApiRequestError, apiClientFromEnv } from '../api-client';
import type { ApiClient } from '../api-client';
import { EXIT } from '../errors';
import type { CliIO } from '../io';
import { loadSprintFile } from '../sprint-file';
import { parseStatusJson } from '../status-reply';
import { watchOverApi } from './watch';

/** Runs `overApi` when SPRINTWAVE_URL is set, else `direct` (Temporal itself). */
export function viaApi(
  overApi: (api: ApiClient) => Promise<number>,
  direct: () => Promise<number>,
): Promise<number> {
  const api = apiClientFromEnv();
  return api ? overApi(api) : direct();
}

const sprintPath = (id: string): string => `/sprints/${encodeURIComponent(id)}`;

/**
 * `POST /sprints` with the checked sprint file as JSON; its `repo` is made absolute here, as
 * the file names it relative to itself.
 */
export async function apiStartCommand(api: ApiClient, file: string, io: CliIO): Promise<number> {
  const spec = await loadSprintFile(file);
  try {
    await api.request('POST', '/sprints', spec);
  } catch (error) {
    if (!(error instanceof ApiRequestError && error.status === 409)) throw error;
    io.out(`Sprint ${spec.id} is already running.`);
    return EXIT.ok;
  }
  io.out(`Sprint ${spec.id} started.`);
  io.out(`Follow it: sprintwave watch ${spec.id} (or ${api.url}${sprintPath(spec.id)}/stream)`);
  return EXIT.ok;
}

export async function apiStatusCommand(
  api: ApiClient,
  id: string,
  options: { json?: boolean },
  io: CliIO,
): Promise<number> {
  const json = await api.request('GET', sprintPath(id));
  if (options.json) {
    io.out(JSON.stringify(json, null, 2));
    return EXIT.ok;
  }
  const { status } = parseStatusJson(json);
  io.out(`${(await api.text(`${sprintPath(id)}/report`)).trimEnd()}\n\nStatus: ${status}`);
  return EXIT.ok;
}

export async function apiCancelCommand(api: ApiClient, id: string, io: CliIO): Promise<number> {
  await api.request('POST', `${sprintPath(id)}/cancel`);
  io.out(`Cancelling sprint ${id}: running executors are stopped, worktrees are kept.`);
  return EXIT.ok;
}

/** Asks the API to retry the package, then follows the sprint's stream unless `wait` is false. */
export async function apiRetryCommand(
  api: ApiClient,
  id: string,
  wpId: string,
  options: { json?: boolean; wait?: boolean },
  io: CliIO,
): Promise<number> {
  await api.request('POST', `${sprintPath(id)}/packages/${encodeURIComponent(wpId)}/retry`);
  io.err(`Retrying ${wpId} in sprint ${id}.`);
  if (options.wait === false) return EXIT.ok;
  return watchOverApi(api, id, { json: options.json }, io);
}
