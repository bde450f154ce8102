import {
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { UpsertPullRequestInput } from '../activities/github';
import type { PullRequestReport } from '../domain/progress';
import { now } from './clock';
import { failureMessage } from './failures';
import { outboxBacklogQuery, pullRequestReportSignal, waitUntil } from './github-outbox';
import { outboxWorkflowId } from '../domain/ids';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

const { upsertPullRequest } = proxyActivities<Activities>(OPTIONS.githubPullRequestOutbox);

/**
 * How long the outcome waits for the comment outbox to take it: the sprint starts that one
 * just after this one, or later when its worker died in between.
 */
const REPORT_DEADLINE_MS = 10 * 60_000;
const REPORT_RETRY_MAX_MS = 60_000;

export interface PullRequestOutboxInput extends UpsertPullRequestInput {
  /** The sprint's comment outbox waits for the outcome, to link the pull request. */
  notify?: boolean;
  /** GitHub asked for no request before this time (workflow time, ms since the epoch). */
  notBefore?: number;
}

/** Newer content for a pull request still being delivered (a sprint retried while GitHub is down). */
export const pullRequestContentSignal =
  defineSignal<[PullRequestOutboxInput]>('pullRequestContent');

/**
 * Opens or updates a finished sprint's pull request once GitHub answers again, and tells the
 * sprint's comment outbox what became of it. Detached from the sprint, so the sprint ends on time.
 */
export async function pullRequestOutboxWorkflow(
  input: PullRequestOutboxInput,
): Promise<PullRequestReport | undefined> {
  let latest = input;
  let delivered: PullRequestOutboxInput | undefined;
  let report: PullRequestReport | undefined;
  setHandler(pullRequestContentSignal, (next) => {
    latest = next;
  });
  setHandler(outboxBacklogQuery, () => ({
    undelivered: delivered === latest ? [] : ['the pull request'],
    ...((latest.notBefore ?? 0) > now() ? { waitingUntil: latest.notBefore } : {}),
  }));
  while (delivered !== latest) {
    const content = latest;
    await waitUntil(content.notBefore);
    try {
      const { notify: _notify, notBefore: _notBefore, ...pullRequest } = content;
      const pull = await upsertPullRequest(pullRequest);
      log.info('Pull request delivered', { sprint: content.sprintId, url: pull.url });
      const { url, number, draft, created } = pull;
      report = { url, number, draft, created };
    } catch (error) {
      const message = failureMessage(error);
      log.warn('Pull request outbox gave up', { sprint: content.sprintId, error: message });
      report = { error: message };
      if (content.notify) await tellCommentOutbox(content.sprintId, report);
      return report;
    }
    delivered = content;
    if (content.notify) await tellCommentOutbox(content.sprintId, report);
    // A signal that arrived during delivery is picked up by the loop; allow one to land.
    await condition(() => delivered !== latest, '1 second');
  }
  return report;
}

/** Hands the outcome to the comment outbox, which may not have been started yet. */
async function tellCommentOutbox(sprintId: string, report: PullRequestReport): Promise<void> {
  const outbox = getExternalWorkflowHandle(outboxWorkflowId(sprintId));
  const deadline = now() + REPORT_DEADLINE_MS;
  for (let delay = 1_000; ; delay = Math.min(delay * 2, REPORT_RETRY_MAX_MS)) {
    try {
      await outbox.signal(pullRequestReportSignal, report);
      return;
    } catch (error) {
      if (now() + delay > deadline) {
        log.warn('The comment outbox never took the pull request', {
          sprint: sprintId,
          error: failureMessage(error),
        });
        return;
      }
      await sleep(delay);
    }
  }
}
