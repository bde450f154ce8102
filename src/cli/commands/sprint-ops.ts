import { retryRefusal } from '../../domain/progress';
import { SPRINT_FINISHING, retryPackageUpdate } from '../../workflows';
import { workflowUrl } from '../../runtime/temporal';
import { CliError, EXIT } from '../errors';
import type { CliIO } from '../io';
import { followSprintAndDelivery } from '../follow';
import { withSession } from '../session';
import type { Session } from '../session';
import {
  cancelSprintRun,
  finalState,
  getSprint,
  sprintInput,
  startOrAttach,
} from '../sprint-client';
import { loadRunnableSprint } from '../sprint-file';

function webUi(session: Session, id: string): string | undefined {
  return (
    session.temporal.uiUrl && workflowUrl(session.temporal.uiUrl, session.temporal.namespace, id)
  );
}

/** Starts a sprint and returns at once; a worker (`dev`, `worker`) makes it progress. */
export async function startCommand(file: string, io: CliIO): Promise<number> {
  const spec = await loadRunnableSprint(file);
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
    const { handle, running } = await getSprint(session.temporal.client, id);
    if (!running) throw new CliError(`Sprint ${id} is not running.`, EXIT.badInput);
    await cancelSprintRun(handle, 'cancelled from the CLI');
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
    const { handle, running } = await getSprint(client, id);
    let retried = false;
    if (running) {
      try {
        await handle.executeUpdate(retryPackageUpdate, { args: [wpId] });
        retried = true;
        io.err(`Retrying ${wpId} in sprint ${id}.`);
      } catch (error) {
        const why =
          (error as Error).cause instanceof Error
            ? ((error as Error).cause as Error).message
            : (error as Error).message;
        // A sprint wrapping up is resumed once it has ended, like any ended sprint.
        if (why !== SPRINT_FINISHING)
          throw new CliError(`Cannot retry ${wpId}: ${why}`, EXIT.badInput);
      }
    }
    if (!retried) {
      const previous = await finalState(handle);
      const wp = previous.packages.find((candidate) => candidate.id === wpId);
      if (!wp) throw new CliError(`${wpId} is not a package of sprint ${id}.`, EXIT.badInput);
      const refusal = retryRefusal(wp);
      if (refusal) throw new CliError(`Cannot retry ${wpId}: ${refusal}.`, EXIT.badInput);
      const input = await sprintInput(handle);
      await startOrAttach(client, session.config, { ...input, resume: previous, retry: [wpId] });
      io.err(`Sprint ${id} resumed to retry ${wpId}; completed packages are kept.`);
    }
    if (options.wait === false && !session.hasWorker) return EXIT.ok;
    return followSprintAndDelivery(client, client.workflow.getHandle(id), io, {
      json: options.json,
      links: { webUi: webUi(session, id) },
      signal: session.interrupted,
      hasWorker: session.hasWorker,
    });
  });
}
