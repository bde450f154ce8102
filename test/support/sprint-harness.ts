import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { SprintProgress } from '../../src/domain/progress';
import type { SprintSpec } from '../../src/domain/spec';
import { loadConfig } from '../../src/runtime/config';
import type { Config } from '../../src/runtime/config';
import { createSprintWorker } from '../../src/runtime/worker';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { sprintWorkflow } from '../../src/workflows';
import type { SprintWorkflowInput } from '../../src/workflows';
import { settledSprintState } from '../../src/workflows/outcomes';
import { makeSandbox } from './git-fixtures';
import type { Sandbox } from './git-fixtures';
import { connectTestTemporal, uniqueId } from './temporal';
import type { TestTemporal } from './temporal';

export interface Harness {
  temporal: TestTemporal;
  sandbox: Sandbox;
  config: Readonly<Config>;
  taskQueue: string;
  worker(): Promise<Worker>;
  close(): Promise<void>;
}

/** A real repository, a unique task queue, and workers on the shared dev server. */
export async function startHarness(env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const temporal = await connectTestTemporal();
  const sandbox = await makeSandbox();
  const taskQueue = uniqueId('sprints');
  const config = loadConfig({
    SPRINTWAVE_HOME: `${sandbox.dir}/home`,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...env,
  });
  const codePath = process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string;
  return {
    temporal,
    sandbox,
    config,
    taskQueue,
    worker: () =>
      createSprintWorker({
        connection: temporal.nativeConnection,
        client: temporal.client,
        config,
        workflowBundle: { codePath },
      }),
    async close() {
      await temporal.close();
      await sandbox.cleanup();
    },
  };
}

/** A sprint spec with the schema's defaults, checked like a sprint file. */
export function sprint(repo: string, raw: Record<string, unknown>): SprintSpec {
  const checked = checkSprintSpec({ id: uniqueId('sprint'), repo, ...raw });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.spec;
}

export function startSprint(
  harness: Harness,
  input: SprintWorkflowInput,
): Promise<WorkflowHandle<typeof sprintWorkflow>> {
  return harness.temporal.client.workflow.start(sprintWorkflow, {
    workflowId: input.spec.id,
    taskQueue: harness.taskQueue,
    args: [{ options: { heartbeatTimeoutMs: 5_000 }, ...input }],
  });
}

/** Runs a sprint to its end with one worker; returns its final state and its handle. */
export async function runToEnd(
  harness: Harness,
  input: SprintWorkflowInput,
): Promise<{ state: SprintProgress; handle: WorkflowHandle<typeof sprintWorkflow> }> {
  const worker = await harness.worker();
  return worker.runUntil(async () => {
    const handle = await startSprint(harness, input);
    return { state: await settledSprintState(handle), handle };
  });
}

export function pkg(state: SprintProgress, id: string) {
  const found = state.packages.find((wp) => wp.id === id);
  if (!found) throw new Error(`no package ${id}`);
  return found;
}

/** Polls `read` until `test` holds (30 s at most, or `withinMs`); read errors count as not yet. */
export async function waitFor(
  read: () => Promise<SprintProgress>,
  test: (state: SprintProgress) => boolean,
  what: string,
  withinMs = 30_000,
): Promise<SprintProgress> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const state = await read().catch(() => undefined);
    if (state && test(state)) return state;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state?.packages)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
