import { proxyActivities } from '@temporalio/workflow';
import { buildStandup, renderStandup } from '../domain/standup';
import type { Standup } from '../domain/standup';
import { now } from './clock';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

const { readSprintState } = proxyActivities<Activities>(OPTIONS.readSprintState);
const { upsertIssueComment } = proxyActivities<Activities>(OPTIONS.githubStandup);

export interface StandupInput {
  sprintId: string;
  /** Post to the sprint's GitHub issue when it has one (default true). */
  post?: boolean;
}

export interface StandupResult {
  standup: Standup;
  markdown: string;
  /** The stand-up's comment, when it was posted. */
  commentUrl?: string;
}

/**
 * The stand-up of one sprint, taken at this workflow's time: what the last day completed,
 * what is under way, what is stuck. Posted as that day's own comment on the sprint's issue,
 * found again by its marker, so a second run the same day edits it instead of adding one.
 */
export async function standupWorkflow(input: StandupInput): Promise<StandupResult> {
  const state = await readSprintState({ sprintId: input.sprintId });
  const standup = buildStandup(state, now());
  const markdown = renderStandup(standup, state.title ?? state.id);
  const target =
    state.github && state.github.status === 'on' ? parseTarget(state.github.target) : undefined;
  if (!target || input.post === false) return { standup, markdown };
  const comment = await upsertIssueComment({
    sprintId: state.id,
    repo: target.repo,
    issue: target.issue,
    kind: `standup:${standup.date}`,
    body: markdown,
  });
  return { standup, markdown, commentUrl: comment.url };
}

/** `owner/name#12` → its parts. */
function parseTarget(target: string): { repo: string; issue: number } | undefined {
  const match = /^(.+)#(\d+)$/.exec(target);
  return match ? { repo: match[1] as string, issue: Number(match[2]) } : undefined;
}
