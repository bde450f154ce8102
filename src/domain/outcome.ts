import type { SprintProgress, SprintStatus } from './progress';

/** How a sprint ends, and every reason it did not complete. */

export function finishSprint(
  state: SprintProgress,
  at: number,
  cancelled: boolean,
): SprintProgress {
  const reasons = sprintReasons(state);
  const status: SprintStatus = cancelled ? 'cancelled' : reasons.length ? 'failed' : 'completed';
  return {
    ...state,
    status,
    finishedAt: at,
    reasons: cancelled ? ['the sprint was cancelled', ...reasons] : reasons,
    headline: `Sprint ${status}`,
  };
}

/** Everything that stands between the sprint and `completed`. */
export function sprintReasons(state: SprintProgress): string[] {
  const reasons: string[] = [];
  for (const wp of state.packages) {
    if (wp.status === 'failed') reasons.push(`${wp.id} failed: ${wp.error ?? 'unknown error'}`);
    else if (wp.status === 'blocked')
      reasons.push(`${wp.id} was blocked by ${(wp.blockedBy ?? []).join(', ')}`);
    else if (wp.status === 'cancelled') reasons.push(`${wp.id} was cancelled`);
    else if (wp.status === 'pending' || wp.status === 'in_progress')
      reasons.push(`${wp.id} did not finish`);
  }
  const integration = state.integration;
  for (const conflict of integration.conflicts) {
    reasons.push(
      `${conflict.wpId} conflicts with the integration branch in ${conflict.files.join(', ')}`,
    );
  }
  for (const check of integration.checks) {
    if (!check.passed)
      reasons.push(`check \`${check.command}\` failed with exit code ${check.exitCode}`);
  }
  if (integration.error) reasons.push(`integration: ${integration.error}`);
  const delivery = state.delivery;
  if (delivery?.error)
    reasons.push(`push to ${delivery.remote ?? 'the remote'}: ${delivery.error}`);
  return reasons;
}
