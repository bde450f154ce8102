import {
  CancellationScope,
  ParentClosePolicy,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  sleep,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { UpsertPullRequestInput } from '../activities/github';
import { deliveryRemote, planPullRequest, planPush } from '../domain/delivery';
import type { ProgressEvent, SprintProgress } from '../domain/progress';
import { renderSummary } from '../domain/render-progress';
import type { SprintSpec } from '../domain/spec';
import { now } from './clock';
import { failureMessage } from './failures';
import { rateLimitWait } from './github-rate-limit';
import { pullRequestContentSignal, pullRequestOutboxWorkflow } from './pull-request-outbox';
import { pullRequestOutboxId } from '../domain/ids';
import type { PullRequestOutboxInput } from './pull-request-outbox';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

const { pushBranches } = proxyActivities<Activities>(OPTIONS.pushBranches);
const { upsertPullRequest } = proxyActivities<Activities>(OPTIONS.githubPullRequestInSprint);

/** How long the sprint's end waits for GitHub before the outbox takes the pull request over. */
const PULL_REQUEST_WAIT_MS = 10_000;

/** What the sprint's state says of a pull request it handed to the outbox. */
function handedOverNote(sprintId: string): string {
  return `GitHub did not answer in time; ${pullRequestOutboxId(sprintId)} delivers it`;
}

/** True when the sprint ended with its pull request still to be opened by the outbox. */
export function pullRequestHandedOver(state: SprintProgress): boolean {
  return state.delivery?.pullRequest?.note === handedOverNote(state.id);
}

export interface DeliveryInput {
  spec: SprintSpec;
  state(): SprintProgress;
  apply(event: ProgressEvent): void;
}

/**
 * Pushes the integration branch (and with `pushPackages` the merged packages' branches) when
 * the sprint file asks for it, or records why nothing was pushed. Before the sprint finishes:
 * a refused push fails the sprint. Issues no command when the sprint file asks for no push.
 */
export async function pushDelivery({
  spec,
  state,
  apply,
  cancelled,
}: DeliveryInput & { cancelled: boolean }): Promise<void> {
  const plan = planPush(spec, state(), cancelled);
  if (!plan) return;
  const remote = deliveryRemote(spec);
  if ('skip' in plan) {
    apply({ type: 'push-finished', remote, pushed: [], notPushed: plan.skip });
    return;
  }
  try {
    const result = await pushBranches({ repo: spec.repo, remote, branches: plan.push });
    apply({ type: 'push-finished', remote, pushed: result.pushed });
  } catch (error) {
    apply({ type: 'push-finished', remote, pushed: [], error: failureMessage(error) });
  }
}

/**
 * Opens or updates the sprint's pull request, its body the final summary. Called once the
 * sprint has finished; GitHub gets a short wait, then a detached outbox takes over, so a
 * GitHub outage never holds the sprint's end. Issues no command when none is asked for.
 */
export async function pullRequestDelivery({ spec, state, apply }: DeliveryInput): Promise<void> {
  const plan = planPullRequest(spec, state());
  if (!plan || !spec.github) return;
  if ('skip' in plan) {
    apply({ type: 'pull-request-delivered', pullRequest: { note: `not opened: ${plan.skip}` } });
    return;
  }
  const input: UpsertPullRequestInput = {
    sprintId: spec.id,
    repo: spec.github.repo,
    head: plan.head,
    base: plan.base,
    title: plan.title,
    body: renderSummary(state()),
    draft: plan.draft,
  };
  const deadline = now() + PULL_REQUEST_WAIT_MS;
  let notBefore: number | undefined;
  for (;;) {
    try {
      const pull = await CancellationScope.withTimeout(deadline - now(), () =>
        upsertPullRequest(input),
      );
      const { url, number, draft, created } = pull;
      apply({ type: 'pull-request-delivered', pullRequest: { url, number, draft, created } });
      return;
    } catch (error) {
      const retryAfter = rateLimitWait(error);
      if (retryAfter !== undefined && now() + retryAfter < deadline) {
        await sleep(retryAfter);
        continue;
      }
      if (retryAfter === undefined && !isCancellation(error)) {
        const message = failureMessage(error);
        log.warn('Pull request not written', { sprint: spec.id, error: message });
        apply({ type: 'pull-request-delivered', pullRequest: { error: message } });
        return;
      }
      if (retryAfter !== undefined) notBefore = now() + retryAfter;
      break;
    }
  }
  // The comment outbox links the pull request once this one reports that it is open.
  const comments = spec.github.sync && spec.github.issue !== undefined;
  const notify = comments && state().github?.status !== 'disabled';
  await handToOutbox({
    ...input,
    ...(notify ? { notify } : {}),
    ...(notBefore !== undefined ? { notBefore } : {}),
  });
  apply({ type: 'pull-request-delivered', pullRequest: { note: handedOverNote(spec.id) } });
}

async function handToOutbox(input: PullRequestOutboxInput): Promise<void> {
  const workflowId = pullRequestOutboxId(input.sprintId);
  try {
    await startChild(pullRequestOutboxWorkflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    await getExternalWorkflowHandle(workflowId).signal(pullRequestContentSignal, input);
  }
}
