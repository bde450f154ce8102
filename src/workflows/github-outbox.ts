import {
  condition,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { PullRequestReport, SprintProgress } from '../domain/progress';
import { renderFinalTexts } from '../domain/render-progress';
import type { FinalTexts } from '../domain/render-progress';
import { failureMessage } from './failures';
import { now } from './clock';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

const { upsertIssueComment } = proxyActivities<Activities>(OPTIONS.githubOutbox);

/** How long the texts wait for news of a pull request still being opened; it reports in any case. */
const PULL_REQUEST_REPORT_WAIT = '24 hours';

export interface OutboxInput {
  sprintId: string;
  repo: string;
  issue: number;
  /** The sprint's final state: the table and the summary are rendered from it when written. */
  state?: SprintProgress;
  /** Rendered texts, as outboxes started before `state` existed were handed them. */
  progress?: string;
  summary?: string;
  /** `github-pull-request/<sprint>` is still opening the pull request and reports here. */
  pullRequestPending?: boolean;
  /** GitHub asked for no request before this time (workflow time, ms since the epoch). */
  notBefore?: number;
}

/** What an outbox still has to write, for `run` to say what is left when it stops waiting. */
export interface OutboxBacklog {
  undelivered: string[];
  /** GitHub asked for no request before this time (ms since the epoch). */
  waitingUntil?: number;
}

/** Newer content for an outbox still delivering (a sprint retried while GitHub is down). */
export const outboxContentSignal = defineSignal<[OutboxInput]>('outboxContent');
/** What became of the pull request handed to `github-pull-request/<sprint>`. */
export const pullRequestReportSignal = defineSignal<[PullRequestReport]>('pullRequestReport');
export const outboxBacklogQuery = defineQuery<OutboxBacklog>('outboxBacklog');

/** Sleeps until `notBefore` (workflow time); no timer when it has passed or is unset. */
export async function waitUntil(notBefore: number | undefined): Promise<void> {
  const wait = (notBefore ?? 0) - now();
  if (wait > 0) await sleep(wait);
}

function textsOf(content: OutboxInput, pullRequest: PullRequestReport | undefined): FinalTexts {
  if (!content.state) return { progress: content.progress ?? '', summary: content.summary ?? '' };
  return renderFinalTexts(content.state, content.pullRequestPending ? pullRequest : undefined);
}

/**
 * Delivers what a finished sprint could not: its latest progress table and its summary,
 * once GitHub answers again, and again with the pull request's link once that is opened.
 * Detached from the sprint, so the sprint ends on time.
 */
export async function githubOutboxWorkflow(input: OutboxInput): Promise<void> {
  let latest = input;
  let pullRequest: PullRequestReport | undefined;
  let written: Partial<FinalTexts> = {};
  let waitingUntil: number | undefined;
  setHandler(outboxContentSignal, (next) => {
    latest = next;
    // A newer run of the sprint handed over a pull request of its own.
    if (next.pullRequestPending) pullRequest = undefined;
  });
  setHandler(pullRequestReportSignal, (report) => {
    pullRequest = report;
  });
  const awaitingPullRequest = (): boolean =>
    latest.pullRequestPending === true && pullRequest === undefined;
  setHandler(outboxBacklogQuery, () => {
    const texts = textsOf(latest, pullRequest);
    const undelivered = [
      ...(written.progress === texts.progress ? [] : ['the progress table']),
      ...(written.summary === texts.summary ? [] : ['the final summary']),
      ...(awaitingPullRequest() ? ["the pull request's link"] : []),
    ];
    const waiting = waitingUntil !== undefined && waitingUntil > now();
    return { undelivered, ...(waiting ? { waitingUntil } : {}) };
  });

  for (;;) {
    const content = latest;
    const report = pullRequest;
    waitingUntil = content.notBefore;
    await waitUntil(content.notBefore);
    const texts = textsOf(content, report);
    const target = { sprintId: content.sprintId, repo: content.repo, issue: content.issue };
    try {
      await upsertIssueComment({ ...target, kind: 'progress', body: texts.progress });
      written = { progress: texts.progress };
      await upsertIssueComment({ ...target, kind: 'summary', body: texts.summary });
      written = texts;
    } catch (error) {
      log.warn('GitHub outbox gave up', { sprint: content.sprintId, error: failureMessage(error) });
      return;
    }
    const changed = (): boolean => latest !== content || pullRequest !== report;
    // A signal that arrived during delivery is picked up by the loop; allow one to land.
    if (await condition(changed, '1 second')) continue;
    if (!awaitingPullRequest()) return;
    if (!(await condition(changed, PULL_REQUEST_REPORT_WAIT))) {
      log.warn('No news of the pull request; the texts say it is still being opened', {
        sprint: content.sprintId,
      });
      return;
    }
  }
}
