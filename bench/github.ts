import { startLocalGithub } from '../src/devtools/github-local/server';
import type { LocalGithub, RecordedRequest } from '../src/devtools/github-local/server';
import type { SprintSpec } from '../src/domain/spec';
import { outboxWorkflowId } from '../src/domain/ids';
import type { BenchTemporal, Scratch } from './support';
import { assertCompleted, fmtMs, median, sprintSpec, uniqueId } from './support';

export const WAVES = 4;
export const PER_WAVE = 5;
export const PACKAGES = WAVES * PER_WAVE;
export const MIN_INTERVAL_S = 1;
/** |down/up − 1| at most this. */
export const TARGET_DEVIATION = 0.1;

const TOKEN = 'ghp_benchtoken1234567890';
const OWNER = 'acme';
const NAME = 'bench';
/** Six `::progress` lines over 0.3 s, then a file: many progress updates per package. */
const STEPS = 6;
const COMMAND =
  `for i in $(seq 1 ${STEPS}); do echo "::progress $i/${STEPS} step $i"; sleep 0.05; done; ` +
  'echo "$SPRINTWAVE_WP_ID" > "f-$SPRINTWAVE_WP_ID.txt"';

type Mode = 'up' | 'down';

export interface GithubUpRun {
  makespanMs: number;
  /** From the sprint's start to the end of its outbox: the window the writes are counted in. */
  windowMs: number;
  /** POST + PATCH from the sprint's start to its outbox's end. */
  writes: number;
  /** 2 + the sprint's duration (its makespan) / minInterval. */
  bound: number;
  /** The same bound over the whole window, up to the outbox's end (for comparison). */
  boundToOutboxEnd: number;
  /** When each write arrived, from the sprint's start. */
  writeAtMs: number[];
  requests: number;
}

export interface GithubDownRun {
  makespanMs: number;
  /** Every request while GitHub was down (all answered 503). */
  requestsWhileDown: number;
  /** Time from GitHub being up again to the outbox's end. */
  outboxMs: number;
}

export interface GithubResult {
  reps: number;
  packages: number;
  minIntervalS: number;
  up: GithubUpRun[];
  down: GithubDownRun[];
  upMedianMs: number;
  downMedianMs: number;
  ratio: number;
  target: number;
  makespanPass: boolean;
  maxWrites: number;
  /** The bound of the run with the least slack. */
  worstBound: number;
  writesPass: boolean;
  medianRequestsWhileDown: number;
  pass: boolean;
}

const pkgId = (wave: number, i: number): string => `g${wave}-${i}`;

function githubSpec(repo: string, issue: number, waves = WAVES, perWave = PER_WAVE): SprintSpec {
  const packages = [];
  for (let wave = 1; wave <= waves; wave++) {
    for (let i = 1; i <= perWave; i++) {
      packages.push({
        id: pkgId(wave, i),
        title: `bench ${pkgId(wave, i)}`,
        dependsOn: wave === 1 ? [] : [pkgId(wave - 1, i)],
        run: COMMAND,
      });
    }
  }
  return sprintSpec({
    id: uniqueId('bench-github'),
    repo,
    concurrency: perWave,
    strategy: 'waves',
    packages,
    github: { repo: `${OWNER}/${NAME}`, issue, minInterval: `${MIN_INTERVAL_S}s` },
  });
}

const isWrite = (r: RecordedRequest): boolean => r.method === 'POST' || r.method === 'PATCH';

async function outboxDone(temporal: BenchTemporal, sprintId: string): Promise<void> {
  await temporal.client.workflow.getHandle(outboxWorkflowId(sprintId)).result();
}

async function runUp(
  temporal: BenchTemporal,
  github: LocalGithub,
  queue: string,
  spec: SprintSpec,
): Promise<GithubUpRun> {
  const from = github.requests.length;
  const startedAt = Date.now();
  const started = performance.now();
  const { ms, state } = await temporal.runSprint(spec, queue);
  assertCompleted(state, PACKAGES);
  await outboxDone(temporal, spec.id);
  const windowMs = performance.now() - started;
  const seen = github.requests.slice(from);
  const written = seen.filter(isWrite);
  const writes = written.length;
  return {
    makespanMs: ms,
    windowMs,
    writes,
    bound: 2 + ms / 1000 / MIN_INTERVAL_S,
    boundToOutboxEnd: 2 + windowMs / 1000 / MIN_INTERVAL_S,
    writeAtMs: written.map((r) => r.at - startedAt),
    requests: seen.length,
  };
}

async function runDown(
  temporal: BenchTemporal,
  github: LocalGithub,
  queue: string,
  spec: SprintSpec,
): Promise<GithubDownRun> {
  const from = github.requests.length;
  github.down();
  let makespanMs: number;
  let requestsWhileDown: number;
  try {
    const { ms, state } = await temporal.runSprint(spec, queue);
    assertCompleted(state, PACKAGES);
    makespanMs = ms;
  } finally {
    requestsWhileDown = github.requests.length - from;
    github.up();
  }
  const upAt = performance.now();
  await outboxDone(temporal, spec.id);
  const outboxMs = performance.now() - upAt;
  const comments = github.comments(OWNER, NAME, spec.github?.issue ?? 0);
  if (comments.length !== 2)
    throw new Error(`outbox of ${spec.id} left ${comments.length} comments, not 2`);
  return { makespanMs, requestsWhileDown, outboxMs };
}

export async function benchGithub(
  temporal: BenchTemporal,
  scratch: Scratch,
  reps: number,
): Promise<GithubResult> {
  const github = await startLocalGithub({ token: TOKEN });
  try {
    const queue = await temporal.startSprintWorker({
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: TOKEN,
    });
    const newSpec = async (name: string, waves?: number, perWave?: number): Promise<SprintSpec> =>
      githubSpec(
        await scratch.newRepo(name),
        github.createIssue(OWNER, NAME, name),
        waves,
        perWave,
      );

    // Warm-up, not measured: the new worker's first tasks, Octokit and the server's first requests.
    const warm = await newSpec('github-warm', 1, 2);
    const warmState = (await temporal.runSprint(warm, queue)).state;
    assertCompleted(warmState, 2);
    await outboxDone(temporal, warm.id);

    const up: GithubUpRun[] = [];
    const down: GithubDownRun[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      // Alternate who goes first, so drift in the machine's load hits both alike.
      const order: Mode[] = rep % 2 ? ['up', 'down'] : ['down', 'up'];
      for (const mode of order) {
        const spec = await newSpec(`github-${mode}-${rep}`);
        if (mode === 'up') {
          const run = await runUp(temporal, github, queue, spec);
          up.push(run);
          console.log(
            `  rep ${rep} up     ${fmtMs(run.makespanMs)}  writes ${run.writes} at ${run.writeAtMs.map((t) => (t / 1000).toFixed(1)).join('/')} s (bound ${run.bound.toFixed(1)}; ${run.boundToOutboxEnd.toFixed(1)} to the outbox's end at ${fmtMs(run.windowMs)}), requests ${run.requests}`,
          );
        } else {
          const run = await runDown(temporal, github, queue, spec);
          down.push(run);
          console.log(
            `  rep ${rep} down   ${fmtMs(run.makespanMs)}  requests while down ${run.requestsWhileDown}, outbox done ${fmtMs(run.outboxMs)} after up`,
          );
        }
      }
    }
    const upMedianMs = median(up.map((r) => r.makespanMs));
    const downMedianMs = median(down.map((r) => r.makespanMs));
    const ratio = downMedianMs / upMedianMs;
    const makespanPass = Math.abs(ratio - 1) <= TARGET_DEVIATION;
    const writesPass = up.every((r) => r.writes <= r.bound);
    const worst = [...up].sort((a, b) => b.writes - b.bound - (a.writes - a.bound))[0];
    return {
      reps,
      packages: PACKAGES,
      minIntervalS: MIN_INTERVAL_S,
      up,
      down,
      upMedianMs,
      downMedianMs,
      ratio,
      target: TARGET_DEVIATION,
      makespanPass,
      maxWrites: worst?.writes ?? NaN,
      worstBound: worst?.bound ?? NaN,
      writesPass,
      medianRequestsWhileDown: median(down.map((r) => r.requestsWhileDown)),
      pass: makespanPass && writesPass,
    };
  } finally {
    github.up();
    await github.close();
  }
}

export function printGithub(result: GithubResult): void {
  console.log(
    `\nGitHub up vs down: ${result.packages} packages, ${WAVES} waves of ${PER_WAVE}, minInterval ${result.minIntervalS}s, N=${result.reps}`,
  );
  console.log(
    `  up   median ${fmtMs(result.upMedianMs)}   (${result.up.map((r) => fmtMs(r.makespanMs)).join(', ')})`,
  );
  console.log(
    `  down median ${fmtMs(result.downMedianMs)}   (${result.down.map((r) => fmtMs(r.makespanMs)).join(', ')})`,
  );
  console.log(
    `  ratio down/up ${result.ratio.toFixed(3)}  target |down/up − 1| ≤ ${result.target}  ${result.makespanPass ? 'PASS' : 'MISS'}`,
  );
  console.log(
    `  writes while up (POST+PATCH incl. outbox) ${result.up.map((r) => `${r.writes}/${r.bound.toFixed(1)}`).join(', ')}` +
      `  target ≤ 2 + sprint_s/minInterval_s  ${result.writesPass ? 'PASS' : 'MISS'}`,
  );
  console.log(
    `  requests while down ${result.down.map((r) => r.requestsWhileDown).join(', ')} (all 503)`,
  );
}
