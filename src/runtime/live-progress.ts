import type { WorkflowClient, WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { packageWorkflowId } from '../domain/ids';
import { withLiveProgress } from '../domain/progress-reducer';
import type { LiveProgress, SprintProgress } from '../domain/progress';
import { packageProgressQuery, progressQuery } from '../workflows/messages';

/** A running sprint's state as it answers its query, with its packages' live progress. */
export async function queryLiveState(
  handle: Pick<WorkflowHandle, 'client' | 'query'>,
): Promise<SprintProgress> {
  return readLiveProgress(handle.client, await handle.query(progressQuery));
}

/** Packages read at once: a wide sprint must not open hundreds of calls for one read. */
const READS_AT_ONCE = 16;
/** A package that does not answer soon is shown as the sprint last heard of it. */
const READ_DEADLINE_MS = 3_000;

/**
 * The sprint's state with the live progress of its running packages, read from where it lives:
 * a command's on the heartbeats of its `runPackage` activity (describe), an external package's
 * in its own workflow (query). Progress never enters the sprint's history; a package that cannot
 * be read keeps what the state says.
 */
export async function readLiveProgress(
  client: WorkflowClient,
  state: SprintProgress,
): Promise<SprintProgress> {
  const running = state.packages.filter((wp) => wp.status === 'in_progress');
  if (running.length === 0) return state;
  const live = new Map<string, LiveProgress>();
  for (let i = 0; i < running.length; i += READS_AT_ONCE) {
    await Promise.all(
      running.slice(i, i + READS_AT_ONCE).map(async (wp) => {
        const progress = await packageProgress(
          client,
          state.id,
          wp.id,
          wp.executor === 'external',
        ).catch(() => undefined);
        if (progress && progress.attempt === wp.attempt) live.set(wp.id, progress);
      }),
    );
  }
  return live.size ? withLiveProgress(state, live) : state;
}

async function packageProgress(
  client: WorkflowClient,
  sprintId: string,
  wpId: string,
  external: boolean,
): Promise<LiveProgress | undefined> {
  const handle = client.getHandle(packageWorkflowId(sprintId, wpId));
  return client.withDeadline(Date.now() + READ_DEADLINE_MS, async () => {
    if (external) return handle.query(packageProgressQuery);
    const { raw } = await handle.describe();
    const running = raw.pendingActivities?.find(
      (activity) => activity.activityType?.name === 'runPackage',
    );
    const payloads = running?.heartbeatDetails?.payloads;
    if (!payloads?.length) return undefined;
    const details = await decodeFromPayloadsAtIndex<unknown>(
      client.options.loadedDataConverter,
      0,
      payloads,
    );
    return isLiveProgress(details) ? details : undefined;
  });
}

function isLiveProgress(value: unknown): value is LiveProgress {
  const candidate = value as Partial<LiveProgress> | null;
  return (
    typeof candidate?.attempt === 'number' &&
    typeof candidate.done === 'number' &&
    typeof candidate.total === 'number'
  );
}
