import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { commentMarker } from '../src/activities/github';
import type { EventEnvelope } from '../src/domain/events';
import type { SprintProgress } from '../src/domain/progress';
import type { SprintSpec } from '../src/domain/spec';
import { checkSprintSpec } from '../src/schemas/sprint-spec';
import { outboxWorkflowId, sprintWorkflow } from '../src/workflows';
import { checkStream } from '../test/support/event-receiver';
import { sleep, startChaosLab } from './chaos-lab';
import type { ChaosLab } from './chaos-lab';

const run = promisify(execFile);

export interface ChaosOptions {
  /** Scratch folder for the server's database, the repositories and the logs. */
  dir: string;
  workflowBundle: string;
  runs: number;
  packages: number;
  /** Every n-th run also kills the dev server (0: never). */
  serverEvery: number;
  seed: number;
  /** A run that has not finished (sprint, outbox, events) by then counts as failed. */
  runTimeoutMs?: number;
  /** Called with each run's result as soon as it is known. */
  onRun?(result: ChaosRunResult): void;
}

export interface ChaosChecks {
  completed: boolean;
  /** The integration branch's tree equals the fault-free run's. */
  sameTree: boolean;
  duplicateEvents: number;
  sequenceGaps: number[];
  /** Sequences 1..n all arrived and the last one is SprintCompleted. */
  eventsComplete: boolean;
  progressComments: number;
  summaryComments: number;
  /** The progress comment shows the final table. */
  finalTable: boolean;
}

export interface ChaosRunResult {
  run: number;
  sprintId: string;
  /** From the start request to the sprint's result. */
  makespanMs: number;
  workerKillAtMs: number;
  serverKillAtMs?: number;
  /** Faults planned after the sprint had already ended are not injected. */
  faultsInjected: number;
  /** The integration branch's tree ('' when there is none). */
  tree: string;
  events: number;
  checks: ChaosChecks;
  problems: string[];
  ok: boolean;
}

export interface ChaosReport {
  seed: number;
  packages: number;
  referenceMs: number;
  runs: ChaosRunResult[];
  /** Worker processes that died on their own (not killed by the run), e.g. while the server was down. */
  workerExits: number;
}

/** The fault-free reference, then `runs` sprints with the worker (and every n-th run the server) killed. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const lab = await startChaosLab({
    dir: options.dir,
    workflowBundle: options.workflowBundle,
    taskQueue: `chaos-${randomUUID().slice(0, 8)}`,
  });
  try {
    const random = seededRandom(options.seed);
    const reference = await runSprint(lab, options, 0, {});
    if (!reference.ok) {
      throw new Error(`the fault-free reference run failed: ${reference.problems.join('; ')}`);
    }
    const runs: ChaosRunResult[] = [];
    for (let i = 1; i <= options.runs; i++) {
      const withServer = options.serverEvery > 0 && i % options.serverEvery === 0;
      const faults = {
        workerKillAtMs: Math.round(reference.makespanMs * (0.05 + 0.85 * random())),
        serverKillAtMs: withServer
          ? Math.round(reference.makespanMs * (0.05 + 0.85 * random()))
          : undefined,
      };
      const result = await runSprint(lab, options, i, faults, reference.tree);
      runs.push(result);
      options.onRun?.(result);
    }
    return {
      seed: options.seed,
      packages: options.packages,
      referenceMs: reference.makespanMs,
      runs,
      workerExits: lab.worker.unexpectedExits(),
    };
  } finally {
    await lab.close();
  }
}

interface Faults {
  workerKillAtMs?: number;
  serverKillAtMs?: number;
}

async function runSprint(
  lab: ChaosLab,
  options: ChaosOptions,
  index: number,
  faults: Faults,
  referenceTree?: string,
): Promise<ChaosRunResult> {
  const deadline = Date.now() + (options.runTimeoutMs ?? 5 * 60_000);
  const repo = await newRepo(path.join(options.dir, 'repos', `run-${index}`));
  const issue = lab.github.createIssue('chaos', 'sprint', `Chaos run ${index}`);
  const spec = chaosSpec(
    repo,
    `chaos-${index}-${randomUUID().slice(0, 8)}`,
    options.packages,
    issue,
  );
  const started = Date.now();
  await lab.client.workflow.start(sprintWorkflow, {
    workflowId: spec.id,
    taskQueue: lab.taskQueue,
    args: [{ spec, options: { heartbeatTimeoutMs: 2_000 } }],
  });
  let ended = false;
  const outcome = sprintResult(lab.client, spec.id, deadline).finally(() => (ended = true));
  const injected = await injectFaults(lab, faults, started, () => ended);
  const problems: string[] = [];
  let state: SprintProgress | undefined;
  try {
    state = await outcome;
  } catch (error) {
    problems.push(`no result: ${(error as Error).message}`);
  }
  const makespanMs = Date.now() - started;
  const tree = state ? await treeOf(repo, state.integration.branch).catch(() => '') : '';
  const checks = state
    ? await checkRun(lab, { spec, state, issue, tree, referenceTree, deadline }, problems)
    : failedChecks();
  return {
    run: index,
    sprintId: spec.id,
    makespanMs,
    workerKillAtMs: faults.workerKillAtMs ?? 0,
    serverKillAtMs: faults.serverKillAtMs,
    faultsInjected: injected,
    tree,
    events: lab.receiver.received.filter((e) => e.sprint_id === spec.id).length,
    checks,
    problems,
    ok: problems.length === 0,
  };
}

/** Kills the worker, and the server when planned, at their moments; returns how many it did. */
async function injectFaults(
  lab: ChaosLab,
  faults: Faults,
  started: number,
  ended: () => boolean,
): Promise<number> {
  const planned = [
    { at: faults.workerKillAtMs, crash: () => lab.worker.crashAndRestart() },
    { at: faults.serverKillAtMs, crash: () => lab.server.crashAndRestart() },
  ]
    .filter((fault): fault is { at: number; crash: () => Promise<void> } => fault.at !== undefined)
    .sort((a, b) => a.at - b.at);
  let injected = 0;
  for (const fault of planned) {
    await sleep(Math.max(0, started + fault.at - Date.now()));
    if (ended()) break;
    await fault.crash();
    injected++;
  }
  return injected;
}

/** The sprint's result, waited for through server restarts (connection errors are retried). */
async function sprintResult(client: Client, id: string, deadline: number): Promise<SprintProgress> {
  for (;;) {
    try {
      return await client.workflow.getHandle<typeof sprintWorkflow>(id).result();
    } catch (error) {
      if (error instanceof WorkflowFailedError || Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

interface RunToCheck {
  spec: SprintSpec;
  state: SprintProgress;
  issue: number;
  tree: string;
  /** Unset for the reference run itself. */
  referenceTree?: string;
  deadline: number;
}

/** Every check of one run; each failure is also added to `problems` in words. */
async function checkRun(
  lab: ChaosLab,
  { spec, state, issue, tree, referenceTree, deadline }: RunToCheck,
  problems: string[],
): Promise<ChaosChecks> {
  const completed = state.status === 'completed';
  if (!completed) problems.push(`sprint ${state.status}: ${state.reasons.join('; ')}`);
  const sameTree = referenceTree === undefined ? tree !== '' : tree === referenceTree;
  if (!sameTree) problems.push(`integration tree ${tree || 'missing'} differs from the reference`);

  await outboxDone(lab.client, spec.id, deadline).catch((error: unknown) =>
    problems.push(`GitHub outbox: ${(error as Error).message}`),
  );
  const events = await allEvents(lab, spec.id, deadline);
  const stream = checkStream(events);
  const eventsComplete = isComplete(events);
  if (stream.duplicates > 0) problems.push(`${stream.duplicates} event ids delivered twice`);
  if (stream.gaps.length > 0) problems.push(`sequence gaps at ${stream.gaps.join(', ')}`);
  if (!eventsComplete) problems.push('events incomplete: SprintCompleted is not the last of 1..n');

  const comments = lab.github.comments('chaos', 'sprint', issue).map((c) => c.body);
  const progress = comments.filter((body) => carries(body, commentMarker(spec.id, 'progress')));
  const summaries = comments.filter((body) => carries(body, commentMarker(spec.id, 'summary')));
  const finalTable = progress.length === 1 && progress[0]?.includes('**Overall:** 100%') === true;
  if (progress.length !== 1) problems.push(`${progress.length} progress comments`);
  if (summaries.length !== 1) problems.push(`${summaries.length} summary comments`);
  if (comments.length !== progress.length + summaries.length) problems.push('stray comments');
  if (progress.length === 1 && !finalTable) problems.push('the progress comment is not final');
  return {
    completed,
    sameTree,
    duplicateEvents: stream.duplicates,
    sequenceGaps: stream.gaps,
    eventsComplete,
    progressComments: progress.length,
    summaryComments: summaries.length,
    finalTable,
  };
}

function failedChecks(): ChaosChecks {
  return {
    completed: false,
    sameTree: false,
    duplicateEvents: 0,
    sequenceGaps: [],
    eventsComplete: false,
    progressComments: 0,
    summaryComments: 0,
    finalTable: false,
  };
}

/** The GitHub outbox delivers the final table and the summary after the sprint. */
async function outboxDone(client: Client, sprintId: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await client.workflow.getHandle(outboxWorkflowId(sprintId)).result();
      return;
    } catch (error) {
      if (error instanceof WorkflowFailedError || Date.now() > deadline) throw error;
      await sleep(300);
    }
  }
}

/** The sprint's events once the stream is complete (or the deadline passed), plus a moment for late duplicates. */
async function allEvents(
  lab: ChaosLab,
  sprintId: string,
  deadline: number,
): Promise<EventEnvelope[]> {
  const events = (): EventEnvelope[] =>
    lab.receiver.received.filter((event) => event.sprint_id === sprintId);
  while (!isComplete(events()) && Date.now() < deadline) await sleep(200);
  await sleep(500);
  return events();
}

function isComplete(events: readonly EventEnvelope[]): boolean {
  const sequences = new Set(events.map((e) => e.sequence));
  const last = events.reduce<EventEnvelope | undefined>(
    (top, e) => (top === undefined || e.sequence > top.sequence ? e : top),
    undefined,
  );
  return last?.event_type === 'SprintCompleted' && sequences.size === last.sequence;
}

function carries(body: string, marker: string): boolean {
  return body.split('\n').some((line) => line.trim() === marker);
}

/**
 * `count` packages in layers of four, each needing two of the layer before. Each writes its own
 * file and lists what it sees of its dependencies' work, so lost or misplaced work changes the tree.
 * Re-running a command (after a crash) gives the same files.
 */
export function chaosSpec(repo: string, id: string, count: number, issue: number): SprintSpec {
  const ids = Array.from({ length: count }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`);
  const packages = ids.map((wp, i) => {
    const layer = Math.floor(i / 4);
    const dependsOn =
      layer === 0 ? [] : [...new Set([ids[i - 4], ids[(layer - 1) * 4 + ((i + 1) % 4)]])];
    return {
      id: wp,
      title: `Package ${wp}`,
      dependsOn,
      run:
        `echo "::progress 0/1"; mkdir -p out seen; ls out | grep -vx ${wp}.txt > seen/${wp}.txt; ` +
        `echo ${wp} > out/${wp}.txt; sleep 0.3; echo "::progress 1/1"`,
    };
  });
  const checked = checkSprintSpec({
    id,
    title: 'Chaos',
    repo,
    strategy: 'eager',
    concurrency: 4,
    packages,
    github: { repo: 'chaos/sprint', issue, minInterval: '500ms' },
  });
  if (!checked.ok) throw new Error(`bad chaos spec: ${JSON.stringify(checked.problems)}`);
  return checked.spec;
}

async function newRepo(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'config', 'user.name', 'chaos');
  await git(dir, 'config', 'user.email', 'chaos@example.test');
  await writeFile(path.join(dir, 'README.md'), '# chaos\n');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

async function treeOf(repo: string, branch: string): Promise<string> {
  return (await git(repo, 'rev-parse', `${branch}^{tree}`)).trim();
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd })).stdout;
}

/** mulberry32: the same seed gives the same kill moments. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
