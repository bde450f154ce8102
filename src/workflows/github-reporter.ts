import {
  ActivityCancellationType,
  CancellationScope,
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { parseDuration } from '../domain/duration';
import type { SprintProgress } from '../domain/progress';
import { renderProgressTable } from '../domain/render-progress';
import type { GithubSpec } from '../domain/spec';
import { pullRequestHandedOver } from './delivery';
import { failureMessage } from './failures';
import { githubOutboxWorkflow, outboxContentSignal } from './github-outbox';
import { rateLimitWait } from './github-rate-limit';
import { outboxWorkflowId } from '../domain/ids';
import { githubPausedSignal } from './messages';
import type { OutboxInput } from './github-outbox';
import { now } from './clock';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

/** A hand-over waits this long for a comment write in flight; GitHub may be down for hours. */
const STOP_WAIT = '1 minute';

const { upsertIssueComment } = proxyActivities<Activities>(OPTIONS.githubInSprint);

/**
 * Patch id: from it on, one long activity keeps the table (keepProgressTable), reading the
 * sprint's state and its packages' live progress itself: no history event per refresh.
 */
export const LIVE_TABLE_PATCH = 'live-table-activity';

const { keepProgressTable } = proxyActivities<Activities>({
  ...OPTIONS.keepProgressTable,
  // A write in flight lands before the sprint ends or hands over.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export interface GithubReporter {
  /** Stops reporting and hands the final table and summary to the outbox. Never waits on GitHub. */
  finish(final: SprintProgress): Promise<void>;
  /** Stops reporting for a hand-over to the sprint's next run, letting a write in flight land. */
  stop(): Promise<void>;
}

export interface ReporterSource {
  state(): SprintProgress;
  /** Grows with every change of the state. */
  version(): number;
  /** GitHub refused for good (bad token, no such issue): reported once, reporting stops. */
  disable(error: string): void;
}

/**
 * Keeps ONE progress comment up to date beside the sprint: at most one write per
 * `minInterval`, always the latest state, in its own scope so GitHub never holds the sprint up.
 */
export function startGithubReporter(
  sprintId: string,
  github: GithubSpec & { issue: number },
  source: ReporterSource,
): GithubReporter {
  const minIntervalMs = parseDuration(github.minInterval) ?? 10_000;
  const target = { sprintId, repo: github.repo, issue: github.issue };
  let disabled = false;
  let stopping = false;
  /** The table is kept by keepProgressTable (LIVE_TABLE_PATCH); ending: the sprint asked it to end. */
  let liveTable = false;
  let ending = false;
  let writing = false;
  /** GitHub asked for no request before this time; the outbox keeps to it too. */
  let notBefore: number | undefined;
  setHandler(githubPausedSignal, (until) => {
    notBefore = Math.max(notBefore ?? 0, until);
  });
  const scope = new CancellationScope();
  const keepTable = async (): Promise<void> => {
    if (patched(LIVE_TABLE_PATCH)) {
      liveTable = true;
      const sprintWorkflowId = workflowInfo().workflowId;
      return keepProgressTable({ ...target, sprintWorkflowId, minIntervalMs });
    }
    return refreshOnChanges();
  };
  /** Runs recorded before LIVE_TABLE_PATCH: a write per change of the state, at most one per interval. */
  const refreshOnChanges = async (): Promise<void> => {
    let posted = -1;
    // The first table waits one interval too: a write budget of 2 + duration / minInterval holds.
    let lastWrite = now();
    for (;;) {
      await condition(() => source.version() !== posted);
      const wait = Math.max(lastWrite + minIntervalMs, notBefore ?? 0) - now();
      if (wait > 0) await sleep(wait);
      const version = source.version();
      if (stopping) return;
      writing = true;
      try {
        await upsertIssueComment({
          ...target,
          kind: 'progress',
          body: renderProgressTable(source.state()),
        });
      } catch (error) {
        const retryAfter = rateLimitWait(error);
        if (retryAfter === undefined) throw error;
        notBefore = now() + retryAfter;
        continue;
      } finally {
        writing = false;
      }
      posted = version;
      lastWrite = now();
    }
  };
  const loop = scope.run(keepTable).catch((error: unknown) => {
    // Asked to end, the table may also end by its lost worker's timeout: that is no refusal.
    if (isCancellation(error) || (liveTable && ending)) return;
    disabled = true;
    const message = failureMessage(error);
    log.warn('GitHub updates switched off', { sprint: sprintId, error: message });
    source.disable(message);
  });

  return {
    async stop() {
      stopping = true;
      if (writing) await condition(() => !writing, STOP_WAIT);
      ending = true;
      scope.cancel();
      await loop;
    },
    async finish(final) {
      ending = true;
      scope.cancel();
      await loop;
      if (disabled) return;
      const content: OutboxInput = {
        ...target,
        state: final,
        ...(pullRequestHandedOver(final) ? { pullRequestPending: true } : {}),
        ...(notBefore !== undefined && notBefore > now() ? { notBefore } : {}),
      };
      const workflowId = outboxWorkflowId(sprintId);
      try {
        await startChild(githubOutboxWorkflow, {
          workflowId,
          args: [content],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        await getExternalWorkflowHandle(workflowId).signal(outboxContentSignal, content);
      }
    },
  };
}
