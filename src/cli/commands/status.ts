import type { SprintProgress } from '../../domain/progress';
import { renderProgressTable } from '../../domain/render-progress';
import { sprintStatusJson } from '../../schemas/status-json';
import { sprintWebUiLinks } from '../../domain/web-ui';
import type { WebUiAddress } from '../../domain/web-ui';
import { EXIT } from '../errors';
import type { CliIO } from '../io';
import { withSession } from '../session';
import { readSprint } from '../../service/sprints';

/**
 * The progress of a sprint (or its status JSON), with the Web UI pages of the sprint and of
 * each package when the Web UI is known.
 */
export async function statusCommand(
  id: string,
  options: { json?: boolean },
  io: CliIO,
): Promise<number> {
  return withSession(io, { worker: 'never' }, async (session) => {
    const state = await readSprint(session.temporal.client, id);
    const { uiUrl, namespace } = session.temporal;
    const webUi = uiUrl ? { url: uiUrl, namespace } : undefined;
    io.out(
      options.json
        ? JSON.stringify(sprintStatusJson(state, {}, webUi), null, 2)
        : renderStatus(state, webUi),
    );
    return EXIT.ok;
  });
}

export function renderStatus(state: SprintProgress, webUi?: WebUiAddress): string {
  const parts = [renderProgressTable(state, Date.now(), Infinity), `Status: ${state.status}`];
  const kept = state.packages.filter((wp) => wp.keptAttempts?.length);
  if (kept.length) {
    const lines = kept.map((wp) => `  ${wp.id}: ${(wp.keptAttempts ?? []).join(', ')}`);
    parts.push(['Earlier attempts, kept apart from the branches:', ...lines].join('\n'));
  }
  if (webUi) {
    const links = sprintWebUiLinks(webUi, state);
    const packageLines = Object.entries(links.packages).map(([wp, url]) => `  ${wp}: ${url}`);
    parts.push([`Web UI: ${links.webUi}`, ...packageLines].join('\n'));
  }
  return parts.join('\n\n');
}
