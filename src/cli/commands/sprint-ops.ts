import { loadConfig } from '../../runtime/config';
import { workflowUrl } from '../../runtime/temporal';
import { cancelSprint, retryPackage, startOrAttach } from '../../service/sprints';
import { EXIT } from '../errors';
import type { CliIO } from '../io';
import { followSprintAndDelivery } from '../follow';
import { withSession } from '../session';
import type { Session } from '../session';
import { loadRunnableSprint } from '../sprint-file';

function webUi(session: Session, id: string): string | undefined {
  return (
    session.temporal.uiUrl && workflowUrl(session.temporal.uiUrl, session.temporal.namespace, id)
  );
}

/** Starts a sprint and returns at once; a worker (`dev`, `worker`) makes it progress. */
export async function startCommand(file: string, io: CliIO): Promise<number> {
  const spec = await loadRunnableSprint(file, loadConfig(process.env));
  return withSession(io, { worker: 'never' }, async (session) => {
    const { started } = await startOrAttach(session.temporal.client, session.config, { spec });
    io.out(started ? `Sprint ${spec.id} started.` : `Sprint ${spec.id} is already running.`);
    const link = webUi(session, spec.id);
    if (link) io.out(`Web UI: ${link}`);
    if (session.temporal.server) {
      io.err(
        'No worker is serving this embedded server: run `sprintwave dev` (or `sprintwave run`) to make it progress.',
      );
    }
    return EXIT.ok;
  });
}

export async function cancelCommand(id: string, io: CliIO): Promise<number> {
  return withSession(io, { worker: 'never' }, async (session) => {
    await cancelSprint(session.temporal.client, id, 'cancelled from the CLI');
    io.out(`Cancelling sprint ${id}: running executors are stopped, worktrees are kept.`);
    return EXIT.ok;
  });
}

/**
 * Retries a package: through an update while the sprint runs, or by running the sprint
 * again from its final state (completed work kept) when it has ended.
 */
export async function retryCommand(
  id: string,
  wpId: string,
  options: { json?: boolean; wait?: boolean },
  io: CliIO,
): Promise<number> {
  return withSession(io, { worker: 'embedded' }, async (session) => {
    const { client } = session.temporal;
    const { how } = await retryPackage(client, session.config, id, wpId);
    io.err(
      how === 'update'
        ? `Retrying ${wpId} in sprint ${id}.`
        : `Sprint ${id} resumed to retry ${wpId}; completed packages are kept.`,
    );
    if (options.wait === false && !session.hasWorker) return EXIT.ok;
    return followSprintAndDelivery(client, client.workflow.getHandle(id), io, {
      json: options.json,
      links: { webUi: webUi(session, id) },
      signal: session.interrupted,
      hasWorker: session.hasWorker,
    });
  });
}
