import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { commentMarker } from '../src/activities/github';
import type { SprintProgress } from '../src/domain/progress';
import type { SprintSpec } from '../src/domain/spec';
import { sprintWorkflow } from '../src/workflows';
import { outboxWorkflowId } from '../src/domain/ids';
import { settledSprintState } from '../src/workflows/outcomes';
import { checkStream } from '../test/support/event-receiver';
import { sprintDelivery } from '../test/support/event-receiver';
import type { EventDelivery } from '../test/support/event-receiver';
import { isComplete, settledDelivery } from './chaos-events';
import { injectFaults, planFaults, seededRandom } from './chaos-faults';
import type { InjectedFault, PlannedFault } from './chaos-faults';
import { sleep, startChaosLab } from './chaos-lab';
import type { ChaosLab } from './chaos-lab';
import { changedPaths, chaosSpec, checkLedger, newRepo, treeOf } from './chaos-sprint';
import type { AttemptOverlap, OutlivedAttempt } from './chaos-sprint';

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
  /** Aborting stops the runs and every process they started. */
  signal?: AbortSignal;
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
  /** Package commands started again (after a kill), beyond each package's first start. */
  attempts: number;
  /** Attempts of one package that ran at the same time, from the commands' ledger. */
  overlaps: AttemptOverlap[];
  /** Attempts that ran on after their worker was killed, from the commands' ledger. */
  outlived: OutlivedAttempt[];
}

export interface ChaosRunResult {
  run: number;
  sprintId: string;
  /** The run's repository. */
  repo: string;
  /** From the start request to the sprint's result. */
  makespanMs: number;
  /** The kills done, in order (one that came after the sprint's end is a problem of the run). */
  faults: InjectedFault[];
  plannedFaults: number;
  /** The integration branch's tree ('' when there is none). */
  tree: string;
  /** The packages whose command started more than once. */
  retried: string[];
  /** Events taken in by a backend that honours Idempotency-Key. */
  events: number;
  /** Events sent again under the key of a request the sender never saw answered (taken once). */
  resentEvents: number;
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
    const work = chaosRuns(lab, options);
    work.catch(() => undefined); // an interruption leaves it behind; the lab is closed under it
    return await untilAborted(work, options.signal);
  } finally {
    await lab.close();
  }
}

async function chaosRuns(lab: ChaosLab, options: ChaosOptions): Promise<ChaosReport> {
  const random = seededRandom(options.seed);
  const reference = await runSprint(lab, options, 0, []);
  if (!reference.ok) {
    throw new Error(`the fault-free reference run failed: ${reference.problems.join('; ')}`);
  }
  const runs: ChaosRunResult[] = [];
  for (let i = 1; i <= options.runs; i++) {
    const withServer = options.serverEvery > 0 && i % options.serverEvery === 0;
    const faults = planFaults(random, options.packages, withServer);
    const result = await runSprint(lab, options, i, faults, reference);
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
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const abort = (): void => reject(new Error('chaos interrupted'));
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

async function runSprint(
  lab: ChaosLab,
  options: ChaosOptions,
  index: number,
  faults: readonly PlannedFault[],
  reference?: TreeIn,
): Promise<ChaosRunResult> {
  const deadline = Date.now() + (options.runTimeoutMs ?? 5 * 60_000);
  const repo = await newRepo(path.join(options.dir, 'repos', `run-${index}`));
  // Outside the repository: what the commands note there must not change the tree.
  const ledger = path.join(options.dir, 'ledgers', `run-${index}.log`);
  await mkdir(path.dirname(ledger), { recursive: true });
  const issue = lab.github.createIssue('chaos', 'sprint', `Chaos run ${index}`);
  const id = `chaos-${index}-${randomUUID().slice(0, 8)}`;
  const spec = chaosSpec(repo, id, options.packages, issue, ledger);
  const started = Date.now();
  await lab.client.workflow.start(sprintWorkflow, {
    workflowId: spec.id,
    taskQueue: lab.taskQueue,
    args: [{ spec }], // the default heartbeat timeout: recovery as users get it
  });
  let endedAt: number | undefined;
  const outcome = sprintResult(lab.client, spec.id, deadline).finally(() => (endedAt = Date.now()));
  outcome.catch(() => undefined); // awaited below, after the faults: not an unhandled rejection
  const injected = await injectFaults(lab, spec.id, faults, started, () => endedAt !== undefined);
  const problems: string[] = [];
  if (injected.length < faults.length) problems.push('the sprint ended before its kill');
  let state: SprintProgress | undefined;
  try {
    state = await outcome;
  } catch (error) {
    problems.push(`no result: ${(error as Error).message}`);
  }
  const makespanMs = (endedAt ?? Date.now()) - started;
  const tree = state ? await treeOf(repo, state.integration.branch).catch(() => '') : '';
  const { checks, delivery } = state
    ? await checkRun(lab, { spec, state, issue, repo, tree, reference, deadline }, problems)
    : { checks: failedChecks(), delivery: sprintDelivery(lab.receiver, spec.id) };
  // Read last: a command that outlived its attempt has had the checks' time to show itself.
  const kills = injected.filter((f) => f.target === 'worker').map((f) => started + f.atMs);
  const { retried, ...attempts } = await checkAttempts(ledger, spec, kills, problems);
  return {
    run: index,
    sprintId: spec.id,
    repo,
    makespanMs,
    faults: injected,
    plannedFaults: faults.length,
    tree,
    retried,
    events: delivery.delivered.length,
    resentEvents: delivery.repeats,
    checks: { ...checks, ...attempts },
    problems,
    ok: problems.length === 0,
  };
}

/** The sprint's result, waited for through server restarts (connection errors are retried). */
async function sprintResult(client: Client, id: string, deadline: number): Promise<SprintProgress> {
  for (;;) {
    try {
      return await settledSprintState(client.workflow.getHandle<typeof sprintWorkflow>(id));
    } catch (error) {
      if (error instanceof WorkflowFailedError || Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** An integration tree and the repository that holds it. */
interface TreeIn {
  repo: string;
  tree: string;
}

interface RunToCheck {
  spec: SprintSpec;
  state: SprintProgress;
  issue: number;
  repo: string;
  tree: string;
  /** Unset for the reference run itself. */
  reference?: TreeIn;
  deadline: number;
}

type LedgerChecks = Pick<ChaosChecks, 'attempts' | 'overlaps' | 'outlived'>;
type RunChecks = Omit<ChaosChecks, keyof LedgerChecks>;

/** Every check of one run; each failure is also added to `problems` in words. */
async function checkRun(
  lab: ChaosLab,
  { spec, state, issue, repo, tree, reference, deadline }: RunToCheck,
  problems: string[],
): Promise<{ checks: RunChecks; delivery: EventDelivery }> {
  const completed = state.status === 'completed';
  if (!completed) problems.push(`sprint ${state.status}: ${state.reasons.join('; ')}`);
  const sameTree = reference === undefined ? tree !== '' : tree === reference.tree;
  if (!sameTree) problems.push(await treeProblem({ repo, tree }, reference));

  await outboxDone(lab.client, spec.id, deadline).catch((error: unknown) =>
    problems.push(`GitHub outbox: ${(error as Error).message}`),
  );
  const delivery = await settledDelivery(lab.receiver, spec.id, deadline);
  const stream = checkStream(delivery.delivered);
  const eventsComplete = isComplete(delivery.delivered);
  if (stream.duplicates > 0) problems.push(`${stream.duplicates} event ids delivered twice`);
  if (stream.gaps.length > 0) problems.push(`sequence gaps at ${stream.gaps.join(', ')}`);
  if (!eventsComplete) problems.push('events incomplete: SprintCompleted is not the last of 1..n');
  const comments = checkComments(lab, spec.id, issue, problems);
  return {
    checks: {
      completed,
      sameTree,
      duplicateEvents: stream.duplicates,
      sequenceGaps: stream.gaps,
      eventsComplete,
      ...comments,
    },
    delivery,
  };
}

/** Exactly one progress comment, showing the final table, and one summary; nothing else. */
function checkComments(
  lab: ChaosLab,
  sprintId: string,
  issue: number,
  problems: string[],
): Pick<ChaosChecks, 'progressComments' | 'summaryComments' | 'finalTable'> {
  const comments = lab.github.comments('chaos', 'sprint', issue).map((c) => c.body);
  const progress = comments.filter((body) => carries(body, commentMarker(sprintId, 'progress')));
  const summaries = comments.filter((body) => carries(body, commentMarker(sprintId, 'summary')));
  const finalTable = progress.length === 1 && progress[0]?.includes('**Overall:** 100%') === true;
  if (progress.length !== 1) problems.push(`${progress.length} progress comments`);
  if (summaries.length !== 1) problems.push(`${summaries.length} summary comments`);
  if (comments.length !== progress.length + summaries.length) problems.push('stray comments');
  if (progress.length === 1 && !finalTable) problems.push('the progress comment is not final');
  return { progressComments: progress.length, summaryComments: summaries.length, finalTable };
}

async function treeProblem(actual: TreeIn, reference: TreeIn | undefined): Promise<string> {
  if (!actual.tree || !reference) return `integration tree ${actual.tree || 'missing'}`;
  const paths = await changedPaths(reference, actual).catch(() => []);
  const shown = paths.length > 6 ? [...paths.slice(0, 6), `${paths.length - 6} more`] : paths;
  return `integration tree ${actual.tree} differs from the reference in ${shown.join(', ')}`;
}

/** From the ledger: commands started again, attempts at once, attempts outliving their worker. */
async function checkAttempts(
  ledger: string,
  spec: SprintSpec,
  workerKills: readonly number[],
  problems: string[],
): Promise<LedgerChecks & { retried: string[] }> {
  const text = await readFile(ledger, 'utf8').catch(() => '');
  const ids = spec.packages.map((wp) => wp.id);
  const { problems: unreadable, ...checked } = checkLedger(text, ids, workerKills);
  problems.push(
    ...unreadable,
    ...checked.overlaps.map(
      (o) =>
        `${o.wp}: attempt ${o.earlierPid} still ran ${o.forMs} ms after attempt ${o.laterPid} started`,
    ),
    ...checked.outlived.map(
      (o) => `${o.wp}: attempt ${o.pid} still ran ${o.forMs} ms after its worker was killed`,
    ),
  );
  return checked;
}

function failedChecks(): RunChecks {
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

function carries(body: string, marker: string): boolean {
  return body.split('\n').some((line) => line.trim() === marker);
}
