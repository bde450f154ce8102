import { isCancellation, log, proxyActivities } from '@temporalio/workflow';
import { agentPrompt } from '../domain/agents';
import type { AgentRun, DependencySummary } from '../domain/agents';
import type { WorkPackageSpec } from '../domain/spec';
import { failureMessage } from './failures';
import { OPTIONS } from './activity-options';
import type { Activities } from './activity-options';

const { readDependencySummaries } = proxyActivities<Activities>(OPTIONS.readDependencySummaries);

/** For an agent package: its agent and the prompt built from the package and its dependencies. */
export async function agentRunFor(
  wp: WorkPackageSpec,
  sprintWorkflowId: string,
  given?: DependencySummary[],
): Promise<AgentRun | undefined> {
  if (!wp.agent) return undefined;
  // Runs started before the sprint passed them in ask it with an activity.
  const dependencies =
    given ?? (wp.dependsOn.length ? await dependencySummaries(sprintWorkflowId, wp) : []);
  return { agent: wp.agent, prompt: agentPrompt(wp, dependencies) };
}

/** The agent can work without its dependencies' notes; their code is merged into its branch anyway. */
async function dependencySummaries(
  sprintWorkflowId: string,
  wp: WorkPackageSpec,
): Promise<DependencySummary[]> {
  try {
    return await readDependencySummaries({ sprintWorkflowId, wpIds: wp.dependsOn });
  } catch (error) {
    if (isCancellation(error)) throw error;
    log.warn('Dependency summaries not read', { wp: wp.id, error: failureMessage(error) });
    return wp.dependsOn.map((id) => ({ id, title: id }));
  }
}
