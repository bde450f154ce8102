import { agentLabel, failureOutput, overallProgress } from './progress';
import type { SprintProgress } from './progress';
import { sprintWebUiLinks } from './web-ui';
import type { WebUiAddress } from './web-ui';

export interface StatusLinks {
  self?: string;
  /** The sprint's page in the Temporal Web UI. */
  webUi?: string;
  /** Package id → its child workflow's page in the Web UI. */
  packages?: Record<string, string>;
}

/**
 * The sprint status JSON of `status --json`, `run --json` and `GET /sprints/:id`. With the
 * Web UI's address, `links` carries the pages of the sprint and of every package.
 */
export function sprintStatusJson(
  state: SprintProgress,
  links: StatusLinks = {},
  ui?: WebUiAddress,
) {
  return {
    id: state.id,
    title: state.title,
    status: state.status,
    headline: state.headline,
    strategy: state.strategy,
    scope: state.scope,
    concurrency: state.concurrency,
    startedAt: new Date(state.startedAt).toISOString(),
    finishedAt:
      state.finishedAt === undefined ? undefined : new Date(state.finishedAt).toISOString(),
    packages: state.packages.map((wp) => ({
      id: wp.id,
      title: wp.title,
      status: wp.status,
      wave: wp.wave,
      agent: wp.executor === undefined ? wp.agent : agentLabel(wp),
      executor: wp.executor,
      day: wp.day,
      dayStartsAt:
        wp.dayStartsAt === undefined ? undefined : new Date(wp.dayStartsAt).toISOString(),
      branch: wp.branch,
      worktree: wp.worktree,
      commit: wp.commit,
      filesChanged: wp.filesChanged,
      filesCompleted: wp.filesCompleted,
      filesTotal: wp.filesTotal,
      attempt: wp.attempt,
      exitCode: wp.exitCode,
      note: wp.note,
      error: wp.error,
      /** The last lines of a failed package's output, cut and with credentials taken out. */
      outputTail: wp.status === 'failed' ? failureOutput(wp) : undefined,
      blockedBy: wp.blockedBy,
      tasks: wp.tasks,
      keptAttempts: wp.keptAttempts,
    })),
    overall: overallProgress(state),
    integration: {
      branch: state.integration.branch,
      status: state.integration.status,
      commit: state.integration.commit,
      merged: state.integration.merged,
      conflicts: state.integration.conflicts,
      checks: state.integration.checks.map(({ command, exitCode, passed, durationMs }) => ({
        command,
        exitCode,
        passed,
        durationMs,
      })),
      error: state.integration.error,
    },
    delivery: state.delivery,
    reasons: state.reasons,
    links: ui ? { ...sprintWebUiLinks(ui, state), ...links } : links,
  };
}

export type SprintStatusJson = ReturnType<typeof sprintStatusJson>;
