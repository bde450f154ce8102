import path from 'node:path';
import type { createActivities } from '../src/activities';
import { runShellCommand } from '../src/activities/executor';
import * as git from '../src/activities/git';
import { packageBranch } from '../src/domain/ids';
import { CONCURRENCY, PACKAGES, engineSpec } from './engine';
import type { Pkg } from './engine';
import type { BenchTemporal, Scratch } from './support';
import { assertCompleted, fmtMs, timed } from './support';

type Activities = ReturnType<typeof createActivities>;

/** The engine's makespan split into its two halves, each measured alone (ms). */
export interface Breakdown {
  /** The engine's own git activities called directly, same waves and parallelism, no Temporal. */
  gitOnlyMs: number;
  /** Times a git step had to be repeated in that run (the worktree-add race). */
  gitOnlyRetries: number;
  /** The workflows on Temporal with activities that return at once: orchestration alone. */
  orchestrationOnlyMs: number;
}

async function retried<T>(work: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5) throw error;
      onRetry();
    }
  }
}

/** What each package costs in git when sprintwave's activities do it, with Temporal taken out. */
async function gitOnly(scratch: Scratch, waves: Pkg[][]): Promise<{ ms: number; retries: number }> {
  const repo = await scratch.newRepo('git-only');
  const worktreeRoot = path.join(path.dirname(repo), 'worktrees');
  const sprintId = 'git-only';
  const owner = 'bench';
  let retries = 0;
  const onePackage = async (wp: Pkg): Promise<void> => {
    const prepared = await retried(
      () =>
        git.prepareWorktree({
          repo,
          sprintId,
          wpId: wp.id,
          base: 'main',
          dependencyBranches: wp.dependsOn.map((dep) => packageBranch(sprintId, dep)),
          worktreeRoot,
          owner,
        }),
      () => retries++,
    );
    const result = await runShellCommand({ command: wp.run, cwd: prepared.worktree });
    if (result.exitCode !== 0)
      throw new Error(`${wp.id}: ${wp.run} exited with ${result.exitCode}`);
    await git.commitWork({
      worktree: prepared.worktree,
      wpId: wp.id,
      title: wp.id,
      baseCommit: prepared.baseCommit,
    });
  };
  const { ms } = await timed(async () => {
    for (const wave of waves) {
      for (let i = 0; i < wave.length; i += CONCURRENCY) {
        await Promise.all(wave.slice(i, i + CONCURRENCY).map(onePackage));
      }
    }
    const merge = await git.mergeIntoIntegration({
      repo,
      sprintId,
      base: 'main',
      branch: packageBranch(sprintId, 'integration'),
      packages: waves.flat().map((wp) => ({ wpId: wp.id, branch: packageBranch(sprintId, wp.id) })),
      worktreeRoot,
      owner,
    });
    if (merge.merged.length !== PACKAGES)
      throw new Error(`git-only: merged ${merge.merged.length}/${PACKAGES}`);
  });
  return { ms, retries };
}

/** Activities that do nothing and answer at once, in the shapes the workflows expect. */
export function instantActivities(): Pick<
  Activities,
  | 'prepareWorktree'
  | 'runPackage'
  | 'commitWork'
  | 'mergeIntoIntegration'
  | 'resolveEventIdentity'
  | 'recordEvents'
> {
  const commit = '0'.repeat(40);
  return {
    prepareWorktree: async (input) => ({
      branch: packageBranch(input.sprintId, input.wpId),
      worktree: `/nowhere/${input.wpId}`,
      baseCommit: commit,
      reused: false,
    }),
    runPackage: async () => ({
      exitCode: 0,
      signal: null,
      timedOut: false,
      cancelled: false,
      durationMs: 0,
      tail: [],
      attempt: 1,
      keptAttempts: [],
    }),
    commitWork: async () => ({
      commit,
      filesChanged: 1,
      insertions: 1,
      deletions: 0,
      files: ['f'],
    }),
    resolveEventIdentity: async () => ({
      identity: {
        project_uuid: 'bench',
        project_slug: 'bench',
        node_id: 'bench',
        team_slug: 'local',
      },
      send: false,
    }),
    recordEvents: async (input) => ({
      appended: input.events.length,
      alreadyQueued: 0,
      sent: 0,
      queueOnly: true,
      queueFile: '/nowhere',
    }),
    mergeIntoIntegration: async (input) => ({
      branch: input.branch,
      worktree: '/nowhere/_integration',
      commit,
      merged: input.packages.map((p) => p.wpId),
      conflicts: [],
      alreadyMerged: [],
      missing: [],
    }),
  };
}

export async function breakdown(
  temporal: BenchTemporal,
  scratch: Scratch,
  waves: Pkg[][],
): Promise<Breakdown> {
  const git = await gitOnly(scratch, waves);
  const queue = await temporal.startWorker({ activities: instantActivities() });
  const spec = engineSpec('/nowhere', waves);
  const { ms, state } = await temporal.runSprint(spec, queue);
  assertCompleted(state, PACKAGES);
  return { gitOnlyMs: git.ms, gitOnlyRetries: git.retries, orchestrationOnlyMs: ms };
}

export function printBreakdown(result: Breakdown): void {
  console.log(`  the same sprint split in two (one run each):`);
  console.log(
    `    sprintwave's git activities alone, no Temporal: ${fmtMs(result.gitOnlyMs)}` +
      (result.gitOnlyRetries ? ` (${result.gitOnlyRetries} worktree-add retries)` : ''),
  );
  console.log(
    `    Temporal workflows alone, instant activities:    ${fmtMs(result.orchestrationOnlyMs)}`,
  );
}
