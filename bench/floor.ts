import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { UNEVEN_DAG, criticalPathMs, unevenPackages } from './eager';
import {
  bashIntegrationScript,
  bashPackageScript,
  engineDag,
  PACKAGES,
  runBaselineOnce,
} from './engine';
import type { Pkg } from './engine';
import type { FloorActivities, FloorSprintInput, FloorWork } from './floor-workflows';
import type { BenchTemporal, Scratch } from './support';
import { fmtMs, median, silent, timed, uniqueId } from './support';

const run = promisify(execFile);

/**
 * The design floor: what Temporal costs an engine of sprintwave's shape (a child workflow per
 * package, its work in one local activity, nothing else) doing exactly the bash baseline's git
 * work, run beside the baseline. No engine of that shape can beat these ratios on this machine.
 */
export interface FloorResult {
  reps: number;
  bashMs: number[];
  /** The floor sprint with the baseline's own git work per package and its integration. */
  gitMs: number[];
  /** The same sprint with packages that do nothing: Temporal alone. */
  noopMs: number[];
  /** The floor sprint, eager, on the uneven DAG with the baseline's git work and sleeps. */
  eagerMs: number[];
  criticalPathMs: number;
  gitRatio: number;
  noopRatio: number;
  eagerRatio: number;
}

const activities: FloorActivities = {
  async floorPackage(work, pkg) {
    if (!work.packageScript) return;
    await run('bash', [work.packageScript, work.repo, work.worktrees, pkg.id, ...pkg.dependsOn]);
  },
  async floorIntegrate(work) {
    if (!work.integrationScript) return;
    await run('bash', [work.integrationScript, work.repo, work.worktrees]);
  },
};

async function scripts(scratch: Scratch, name: string, packages: Pkg[]) {
  const packageScript = path.join(scratch.dir, `${name}-package.sh`);
  const integrationScript = path.join(scratch.dir, `${name}-integration.sh`);
  await writeFile(packageScript, bashPackageScript(packages));
  await writeFile(integrationScript, bashIntegrationScript(packages.map((wp) => wp.id)));
  return { packageScript, integrationScript };
}

export async function benchFloor(
  temporal: BenchTemporal,
  scratch: Scratch,
  reps: number,
): Promise<FloorResult> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./floor-workflows'),
    logger: silent,
  });
  const queue = await temporal.startWorker({ activities, workflowBundle: { code } });
  const waves = engineDag();
  const engineScripts = await scripts(scratch, 'floor-engine', waves.flat());
  const eagerScripts = await scripts(scratch, 'floor-eager', unevenPackages());

  const floorSprint = async (
    name: string,
    packages: Pkg[],
    work: Omit<FloorWork, 'repo' | 'worktrees'>,
    waveIds?: string[][],
  ): Promise<number> => {
    const repo = await scratch.newRepo(`floor-${name}`);
    const input: FloorSprintInput = {
      work: { ...work, repo, worktrees: path.join(path.dirname(repo), 'worktrees') },
      packages: packages.map(({ id, dependsOn }) => ({ id, dependsOn })),
      waves: waveIds,
    };
    const { ms } = await timed(() =>
      temporal.client.workflow.execute('floorSprintWorkflow', {
        workflowId: uniqueId(`bench-floor-${name}`),
        taskQueue: queue,
        args: [input],
      }),
    );
    return ms;
  };
  const waveIds = waves.map((members) => members.map((wp) => wp.id));
  await floorSprint('warm', waves.flat(), {}, waveIds); // the floor worker's first tasks

  const result: Record<'bash' | 'git' | 'noop', number[]> = { bash: [], git: [], noop: [] };
  const eagerMs: number[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    const line: string[] = [];
    const runs: [keyof typeof result, () => Promise<number>][] = [
      ['bash', () => runBaselineOnce(scratch, waves, `floor-bash-${rep}`)],
      ['git', () => floorSprint(`git-${rep}`, waves.flat(), engineScripts, waveIds)],
      ['noop', () => floorSprint(`noop-${rep}`, waves.flat(), {}, waveIds)],
    ];
    // Alternate who goes first, so drift in the machine's load hits each alike.
    if (rep % 2 === 0) runs.reverse();
    for (const [who, work] of runs) {
      const ms = await work();
      result[who].push(ms);
      line.push(`${who} ${fmtMs(ms)}`);
    }
    const eager = await floorSprint(`eager-${rep}`, unevenPackages(), eagerScripts);
    eagerMs.push(eager);
    console.log(`  rep ${rep} ${line.join('  ')}  eager ${fmtMs(eager)}`);
  }
  const bash = median(result.bash);
  const critical = criticalPathMs(UNEVEN_DAG).ms;
  return {
    reps,
    bashMs: result.bash,
    gitMs: result.git,
    noopMs: result.noop,
    eagerMs,
    criticalPathMs: critical,
    gitRatio: median(result.git) / bash,
    noopRatio: median(result.noop) / bash,
    eagerRatio: median(eagerMs) / critical,
  };
}

export function printFloor(result: FloorResult): void {
  console.log(
    `\nDesign floor: a child workflow per package whose one local activity does the bash baseline's own git work; nothing else`,
  );
  const medianOf = (values: number[]): string => `${fmtMs(median(values))}`;
  console.log(`  bash baseline median ${medianOf(result.bashMs)}`);
  console.log(
    `  floor, ${PACKAGES} packages in waves: median ${medianOf(result.gitMs)}   floor/bash ${result.gitRatio.toFixed(2)}`,
  );
  console.log(
    `  Temporal alone (packages do nothing): median ${medianOf(result.noopMs)}   /bash ${result.noopRatio.toFixed(2)}`,
  );
  console.log(
    `  floor, eager on the uneven DAG: median ${medianOf(result.eagerMs)}   /critical path ${result.eagerRatio.toFixed(2)}`,
  );
}
