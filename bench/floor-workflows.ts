/**
 * The least an engine of sprintwave's shape can do, as workflows: one child workflow per package
 * whose only step is one local activity, a parent that starts the children (in waves, or each as
 * soon as its dependencies are done) and one integration step. No progress state, no events, no
 * evidence, no retries of its own: what is left is Temporal's cost of that shape.
 */
import { executeChild, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';

export interface FloorPackage {
  id: string;
  dependsOn: string[];
}

export interface FloorWork {
  /** The bash script doing one package's git work; none: the package does nothing. */
  packageScript?: string;
  /** The bash script merging every branch; none: no integration step. */
  integrationScript?: string;
  repo: string;
  worktrees: string;
}

export interface FloorActivities {
  floorPackage(work: FloorWork, pkg: FloorPackage): Promise<void>;
  floorIntegrate(work: FloorWork): Promise<void>;
}

const { floorPackage, floorIntegrate } = proxyLocalActivities<FloorActivities>({
  startToCloseTimeout: '5 minutes',
});

export async function floorPackageWorkflow(work: FloorWork, pkg: FloorPackage): Promise<void> {
  await floorPackage(work, pkg);
}

export interface FloorSprintInput {
  work: FloorWork;
  packages: FloorPackage[];
  /** Ids wave by wave: a wave starts when the one before is done. None: each package starts
   * as soon as its own dependencies are done. */
  waves?: string[][];
}

export async function floorSprintWorkflow(input: FloorSprintInput): Promise<void> {
  const sprintId = workflowInfo().workflowId;
  const byId = new Map(input.packages.map((wp) => [wp.id, wp]));
  const run = (id: string): Promise<void> => {
    const wp = byId.get(id);
    if (!wp) throw new Error(`unknown package ${id}`);
    return executeChild(floorPackageWorkflow, {
      workflowId: `${sprintId}/${id}`,
      args: [input.work, wp],
    });
  };
  if (input.waves) {
    for (const wave of input.waves) await Promise.all(wave.map(run));
  } else {
    const started = new Map<string, Promise<void>>();
    const start = (id: string): Promise<void> => {
      let done = started.get(id);
      if (!done) {
        const deps = byId.get(id)?.dependsOn ?? [];
        done = Promise.all(deps.map(start)).then(() => run(id));
        started.set(id, done);
      }
      return done;
    };
    await Promise.all(input.packages.map((wp) => start(wp.id)));
  }
  await floorIntegrate(input.work);
}
