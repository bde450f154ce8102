import { condition, defineSignal, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { failureMessage } from './failures';

type Activities = ReturnType<typeof createActivities>;

/** Retries forever with capped backoff: GitHub may be down for hours; rate limits set their own delay. */
export const GITHUB_RETRY = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
} as const;

const { upsertIssueComment } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // A write held by a lost worker is taken over in seconds, not after the whole minute.
  heartbeatTimeout: '10 seconds',
  retry: GITHUB_RETRY,
});

export interface OutboxInput {
  sprintId: string;
  repo: string;
  issue: number;
  /** Latest progress table and final summary, as markdown. */
  progress: string;
  summary: string;
}

/** Newer content for an outbox still delivering (a sprint retried while GitHub is down). */
export const outboxContentSignal = defineSignal<[OutboxInput]>('outboxContent');

export function outboxWorkflowId(sprintId: string): string {
  return `github-outbox/${sprintId}`;
}

/**
 * Delivers what a finished sprint could not: its latest progress table and its summary,
 * once GitHub answers again. Detached from the sprint, so the sprint ends on time.
 */
export async function githubOutboxWorkflow(input: OutboxInput): Promise<void> {
  let latest = input;
  let delivered: OutboxInput | undefined;
  setHandler(outboxContentSignal, (next) => {
    latest = next;
  });
  while (delivered !== latest) {
    const content = latest;
    try {
      await upsertIssueComment({
        sprintId: content.sprintId,
        repo: content.repo,
        issue: content.issue,
        kind: 'progress',
        body: content.progress,
      });
      await upsertIssueComment({
        sprintId: content.sprintId,
        repo: content.repo,
        issue: content.issue,
        kind: 'summary',
        body: content.summary,
      });
    } catch (error) {
      log.warn('GitHub outbox gave up', { sprint: content.sprintId, error: failureMessage(error) });
      return;
    }
    delivered = content;
    // A signal that arrived during delivery is picked up by the loop; allow one to land.
    await condition(() => delivered !== latest, '1 second');
  }
}
