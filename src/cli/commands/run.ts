import { loadConfig } from '../../runtime/config';
import { workflowUrl } from '../../runtime/temporal';
import type { SprintSpec } from '../../domain/spec';
import type { CliIO } from '../io';
import { followSprintAndDelivery } from '../follow';
import { withSession } from '../session';
import type { Session } from '../session';
import { loadRunnableSprint } from '../sprint-file';
import { startOrAttach } from '../../service/sprints';

export interface RunOptions {
  json?: boolean;
  /** Push the integration branch at the end, as `integration.push: true` does. */
  push?: boolean;
}

/**
 * Starts (or attaches to) a sprint and follows it to its end, and its GitHub delivery a
 * bounded time beyond. Exit 0 only when the sprint completed.
 */
export async function runCommand(file: string, options: RunOptions, io: CliIO): Promise<number> {
  // Before any dev server starts for it: a refused sprint costs nothing.
  const loaded = await loadRunnableSprint(file, loadConfig(process.env));
  const spec = options.push
    ? { ...loaded, integration: { ...loaded.integration, push: true } }
    : loaded;
  return withSession(io, { worker: 'embedded' }, (session) =>
    runSprint(spec, options, io, session),
  );
}

export async function runSprint(
  spec: SprintSpec,
  options: RunOptions,
  io: CliIO,
  session: Session,
): Promise<number> {
  const { handle, started } = await startOrAttach(session.temporal.client, session.config, {
    spec,
  });
  io.err(
    started ? `Sprint ${spec.id} started.` : `Sprint ${spec.id} is already running: following it.`,
  );
  const webUi =
    session.temporal.uiUrl &&
    workflowUrl(session.temporal.uiUrl, session.temporal.namespace, spec.id);
  if (webUi) io.err(`Watch it in the Temporal Web UI: ${webUi}`);
  return followSprintAndDelivery(session.temporal.client, handle, io, {
    json: options.json,
    links: { webUi },
    signal: session.interrupted,
    hasWorker: session.hasWorker,
  });
}
