import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { AgentRun } from '../domain/agents';
import { commandRefusal } from '../domain/allowed-commands';
import type { EventEnvelope, ResolvedIdentity } from '../domain/events';
import type { CheckResult, LiveProgress, WorkEvidence } from '../domain/progress';
import { agentShellCommand, createAgentActivities } from './agent-cli';
import { runShellCommand } from './executor';
import { runPackageAttempt } from './package-attempt';
import type { PackageAttemptResult, RetryMode } from './package-attempt';
import * as git from './git';
import { createEventActivities } from './events';
import type { RecordEventsResult } from './events';
import { ensureProjectIdentity } from './identity';
import { syncAutoStart } from './project-config';
import { createGithubActivities } from './github';
import { createLiveTableActivity } from './github-live-table';
import { pushBranches } from './git-push';
import { rehearseMerge } from './merge-rehearsal';
import type { GithubDeps } from './github';
import { createPackageEndActivities } from './package-end';
import { createSprintStateActivities } from './sprint-state';
import { createWorkerQueueActivities } from './worker-queue';

export interface ActivityDeps {
  /** Used to report executor progress to the sprint workflow. */
  client: Client;
  /** Every worktree lives below this folder: `<root>/<sprint>/<wp>`. */
  worktreeRoot: string;
  /** GitHub access from the worker's configuration: the token never travels through workflows. */
  github?: GithubDeps;
  /** Where events are queued and sent; the sync token stays here too. */
  events?: { dataDir: string; eventsUrl?: string; syncToken?: string; teamSlug?: string };
  /** This worker's own task queue, where routed sprints send work on the worktrees it holds. */
  hostQueue?: string;
  /**
   * Executables package commands and checks may start (SPRINTWAVE_ALLOWED_COMMANDS). Checked
   * again here: a sprint started past the CLI and the API, or resumed, keeps to them too.
   */
  allowedCommands?: readonly string[];
  /** Names this worker in the worktree leases it takes (SPRINTWAVE_WORKER_ID or the host name). */
  workerId?: string;
}

export interface RunPackageInput {
  sprintWorkflowId: string;
  sprintId: string;
  wpId: string;
  attempt: number;
  command: string;
  /** An agent package: the agent and its prompt, run instead of `command`. */
  agent?: AgentRun;
  worktree: string;
  /** The worktree's prepared state (base and dependencies): where a clean retry starts. */
  baseCommit?: string;
  /** `clean` (default): a retry starts from baseCommit; `resume`: from what was left. */
  retry?: RetryMode;
  timeoutMs: number;
}

export interface RunChecksInput {
  sprintId: string;
  worktree: string;
  checks: string[];
  timeoutMs: number;
}

/** Every side effect of a sprint, bound to the worker's configuration (never to workflow input). */
export function createActivities(deps: ActivityDeps) {
  const worktreeRoot = path.resolve(deps.worktreeRoot);
  const workerId = deps.workerId ?? os.hostname();

  const refusalOf = (command: string): string | undefined =>
    deps.allowedCommands ? commandRefusal(command, deps.allowedCommands) : undefined;
  const events = deps.events ?? { dataDir: path.join(worktreeRoot, '..') };
  const queueOnly = createEventActivities({ dataDir: events.dataDir });
  const sending = createEventActivities(events);
  const loggedIn = Boolean(events.syncToken && events.eventsUrl);
  let warnedQueueOnly = false;

  const github = createGithubActivities(deps.github ?? { apiUrl: 'https://api.github.com' });

  return {
    ...github,
    async upsertIssueComment(
      input: Parameters<typeof github.upsertIssueComment>[0],
    ): ReturnType<typeof github.upsertIssueComment> {
      return withHeartbeats(() => github.upsertIssueComment(input));
    },
    ...createLiveTableActivity(deps.client, github.upsertIssueComment),
    ...createSprintStateActivities(deps.client),
    ...createPackageEndActivities(deps.client),
    ...createAgentActivities(deps.client),
    ...createWorkerQueueActivities(deps.hostQueue),

    /** The project's identity, and whether its events may leave this machine. */
    async resolveEventIdentity(input: { repo: string }): Promise<ResolvedIdentity> {
      const { identity, warning } = await ensureProjectIdentity(input.repo, {
        nodeIdFile: path.join(events.dataDir, 'node-id'),
      });
      if (!loggedIn && !warnedQueueOnly) {
        warnedQueueOnly = true;
        Context.current().log.warn(
          'Not logged in to a sync backend: events are queued locally only',
        );
      }
      const teamSlug = loggedIn ? (events.teamSlug ?? 'local') : 'local';
      const autoStart = await syncAutoStart(input.repo);
      return {
        identity: { ...identity, team_slug: teamSlug },
        send: loggedIn && autoStart,
        warning,
      };
    },

    /** Queues events locally (each id once) and, when sending, delivers them to the sync backend. */
    async recordEvents(input: {
      events: EventEnvelope[];
      send: boolean;
    }): Promise<RecordEventsResult> {
      return withHeartbeats(() => (input.send ? sending : queueOnly).recordEvents(input.events));
    },

    async prepareWorktree(
      input: Omit<git.PrepareWorktreeInput, 'worktreeRoot'>,
    ): Promise<git.PreparedWorktree> {
      return git.prepareWorktree({ ...input, worktreeRoot });
    },

    async commitWork(input: {
      worktree: string;
      wpId: string;
      title: string;
      baseCommit: string;
    }): Promise<WorkEvidence> {
      const { commit, filesChanged, insertions, deletions, files } = await git.commitWork(input);
      return { commit, filesChanged, insertions, deletions, files };
    },

    async mergeIntoIntegration(
      input: Omit<Parameters<typeof git.mergeIntoIntegration>[0], 'worktreeRoot'>,
    ): Promise<git.IntegrationMerge> {
      return withHeartbeats(() => git.mergeIntoIntegration({ ...input, worktreeRoot }));
    },

    /** Whether the completed packages would merge cleanly, computed from git objects alone. */
    rehearseMerge,

    pushBranches,

    /**
     * Runs a package's command in its worktree, as one attempt fenced off from any other (see
     * package-attempt.ts); a non-zero exit is a result, not a retry.
     */
    async runPackage(input: RunPackageInput): Promise<PackageAttemptResult> {
      const command = input.agent ? await agentShellCommand(input.agent) : input.command;
      const refusal = input.agent ? undefined : refusalOf(command);
      if (refusal) {
        throw ApplicationFailure.nonRetryable(
          `\`${command}\` was not run: it ${refusal}`,
          'CommandNotAllowed',
        );
      }
      // The latest progress rides on the heartbeats: readers find it on the pending activity
      // (packageLiveProgress), and no history grows with it.
      let progress: LiveProgress = { attempt: input.attempt, done: 0, total: 0 };
      const result = await withHeartbeats(
        () =>
          runPackageAttempt({
            sprintId: input.sprintId,
            wpId: input.wpId,
            worktree: input.worktree,
            baseCommit: input.baseCommit,
            retry: input.retry,
            worker: workerId,
            run: {
              command,
              timeoutMs: input.timeoutMs,
              signal: Context.current().cancellationSignal,
              env: {
                SPRINTWAVE_SPRINT_ID: input.sprintId,
                SPRINTWAVE_WP_ID: input.wpId,
                SPRINTWAVE_WORKTREE: input.worktree,
              },
              onProgress: (p) => {
                progress = { attempt: input.attempt, ...p };
                Context.current().heartbeat(progress);
              },
            },
          }),
        () => progress,
      );
      if (result.cancelled) throw new CancelledFailure(`${input.wpId} was cancelled`);
      return result;
    },

    /** Runs the integration checks one after another in the integration worktree. */
    async runChecks(input: RunChecksInput): Promise<CheckResult[]> {
      const results: CheckResult[] = [];
      for (const command of input.checks) {
        const refusal = refusalOf(command);
        if (refusal) {
          const outputTail = [`not run: it ${refusal}`];
          results.push({ command, exitCode: null, passed: false, durationMs: 0, outputTail });
          continue;
        }
        const result = await withHeartbeats(() =>
          runShellCommand({
            command,
            cwd: input.worktree,
            timeoutMs: input.timeoutMs,
            signal: Context.current().cancellationSignal,
            env: { SPRINTWAVE_SPRINT_ID: input.sprintId, SPRINTWAVE_WORKTREE: input.worktree },
          }),
        );
        if (result.cancelled) throw new CancelledFailure('integration checks were cancelled');
        results.push({
          command,
          exitCode: result.exitCode,
          passed: result.exitCode === 0 && !result.timedOut,
          durationMs: result.durationMs,
          outputTail: result.tail.slice(-50),
        });
      }
      return results;
    },
  };
}

/**
 * Heartbeats while `work` runs, so a lost worker is noticed and cancellation is delivered; each
 * heartbeat carries `details()` when given (the server keeps the latest, outside any history).
 */
async function withHeartbeats<T>(work: () => Promise<T>, details?: () => unknown): Promise<T> {
  const context = Context.current();
  // Every second at most: the worker passes them on at most a second apart (HEARTBEAT_THROTTLE).
  const every = Math.max(200, Math.min(1_000, (context.info.heartbeatTimeoutMs ?? 15_000) / 5));
  context.heartbeat(details?.());
  const timer = setInterval(() => context.heartbeat(details?.()), every);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
