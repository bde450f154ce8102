import { condition, defineSignal, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { UpsertPullRequestInput } from '../activities/github';
import { failureMessage } from './failures';
import { GITHUB_RETRY } from './github-outbox';

type Activities = ReturnType<typeof createActivities>;

const { upsertPullRequest } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: GITHUB_RETRY,
});

/** Newer content for a pull request still being delivered (a sprint retried while GitHub is down). */
export const pullRequestContentSignal =
  defineSignal<[UpsertPullRequestInput]>('pullRequestContent');

export function pullRequestOutboxId(sprintId: string): string {
  return `github-pull-request/${sprintId}`;
}

/**
 * Opens or updates a finished sprint's pull request once GitHub answers again. Detached from
 * the sprint, so the sprint ends on time.
 */
export async function pullRequestOutboxWorkflow(input: UpsertPullRequestInput): Promise<void> {
  let latest = input;
  let delivered: UpsertPullRequestInput | undefined;
  setHandler(pullRequestContentSignal, (next) => {
    latest = next;
  });
  while (delivered !== latest) {
    const content = latest;
    try {
      const pull = await upsertPullRequest(content);
      log.info('Pull request delivered', { sprint: content.sprintId, url: pull.url });
    } catch (error) {
      log.warn('Pull request outbox gave up', {
        sprint: content.sprintId,
        error: failureMessage(error),
      });
      return;
    }
    delivered = content;
    // A signal that arrived during delivery is picked up by the loop; allow one to land.
    await condition(() => delivered !== latest, '1 second');
  }
}
