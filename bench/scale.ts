import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { GITHUB_BODY_LIMIT } from '../src/domain/fitted-text';
import { outboxWorkflowId, packageWorkflowId } from '../src/domain/ids';
import type { SprintSpec } from '../src/domain/spec';
import { startLocalGithub } from '../src/devtools/github-local/server';
import type { LocalGithub } from '../src/devtools/github-local/server';
import { sprintWorkflow } from '../src/workflows';
import { settledSprintState } from '../src/workflows/outcomes';
import { runHistories } from './history';
import type { RunHistory } from './history';
import type { BenchTemporal } from './support';
import {
  assertCompleted,
  fmtMs,
  makeScratch,
  sprintSpec,
  startBenchTemporal,
  uniqueId,
} from './support';

/** Temporal's history warnings: the sprint must stay below both in every run. */
const WARN_EVENTS = 10_240;
const WARN_BYTES = 10 * 1024 * 1024;
const MB = 1024 * 1024;

interface ScaleSettings {
  packages: number;
  waves: number;
  concurrency: number;
  run: string;
  /** `--github`: report to an issue on the local GitHub server, and check the comments' length. */
  github: boolean;
}

const USAGE =
  'usage: npm run scale -- [packages] [--waves N] [--concurrency N] [--github]\n' +
  '  (defaults: SCALE_PACKAGES or 1000, SCALE_WAVES or 10, SCALE_CONCURRENCY or 20)';

/**
 * Each package adds a file in a directory of a hundred (P12/P1234.txt), as a source tree spreads
 * its files: every merge commit writes new trees for the directories it changes, so 10,000 files
 * in one directory would make the final merge write 10,000 trees of up to 10,000 entries.
 */
const SCALE_RUN =
  'dir="${SPRINTWAVE_WP_ID%??}"; mkdir -p "$dir" && echo "$SPRINTWAVE_WP_ID" > "$dir/$SPRINTWAVE_WP_ID.txt"';

/** The size from the command line (`npm run scale -- 10000 --concurrency 50`), then the environment. */
export function scaleSettings(argv: string[], env: NodeJS.ProcessEnv): ScaleSettings {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      waves: { type: 'string' },
      concurrency: { type: 'string' },
      github: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1)
    throw new Error(`one size at most, not ${positionals.join(' ')}\n${USAGE}`);
  const count = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined || text === '') return fallback;
    const value = Number(text.replace(/_/g, ''));
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(
        `${name} must be a whole number of at least 1, not ${JSON.stringify(text)}\n${USAGE}`,
      );
    }
    return value;
  };
  const packages = count('the size', positionals[0] ?? env.SCALE_PACKAGES, 1_000);
  const waves = count('--waves', values.waves ?? env.SCALE_WAVES, 10);
  if (waves > packages) throw new Error(`--waves (${waves}) cannot exceed the size (${packages})`);
  return {
    packages,
    waves,
    concurrency: count('--concurrency', values.concurrency ?? env.SCALE_CONCURRENCY, 20),
    run: env.SCALE_RUN ?? SCALE_RUN,
    github: values.github ?? false,
  };
}

/** Waves of equal width; a package needs the same slot of the wave before and, every third slot, the next. */
function scaleSpec(repo: string, s: ScaleSettings, github?: GithubTarget): SprintSpec {
  const width = Math.ceil(s.packages / s.waves);
  const digits = String(s.packages - 1).length;
  const id = (n: number): string => `P${String(n).padStart(digits, '0')}`;
  const packages = Array.from({ length: s.packages }, (_, n) => {
    const dependsOn = n >= width ? [id(n - width)] : [];
    const next = n - width + 1;
    if (n >= width && n % 3 === 0 && next % width !== 0) dependsOn.push(id(next));
    return { id: id(n), title: `scale ${id(n)}`, dependsOn, run: s.run };
  });
  return sprintSpec({
    id: uniqueId('bench-scale'),
    repo,
    concurrency: s.concurrency,
    packages,
    ...(github ? { github: { repo: `${github.owner}/${github.name}`, issue: github.issue } } : {}),
  });
}

const GITHUB_TOKEN = 'ghp_scaletoken1234567890';

interface GithubTarget {
  server: LocalGithub;
  owner: string;
  name: string;
  issue: number;
  /** The task queue of a worker whose activities write to `server`. */
  taskQueue: string;
}

async function startGithub(temporal: BenchTemporal): Promise<GithubTarget> {
  const server = await startLocalGithub({ token: GITHUB_TOKEN });
  const taskQueue = await temporal.startSprintWorker({
    GITHUB_API_URL: server.url,
    GITHUB_TOKEN,
  });
  const issue = server.createIssue('acme', 'scale', 'Scale sprint');
  return { server, owner: 'acme', name: 'scale', issue, taskQueue };
}

/** Waits for the outbox, then checks: one table and one summary, each within GitHub's limit. */
async function checkComments(client: Client, sprintId: string, github: GithubTarget) {
  const started = performance.now();
  await client.workflow.getHandle(outboxWorkflowId(sprintId)).result();
  const outboxMs = performance.now() - started;
  const comments = github.server.comments(github.owner, github.name, github.issue);
  const lengths = comments.map((comment) => comment.body.length);
  const writes = github.server.requests.filter((r) => r.method === 'POST' || r.method === 'PATCH');
  const refused = writes.filter((r) => r.status >= 400).length;
  const kinds = comments.map((comment) => /kind=(\w+)/.exec(comment.body)?.[1] ?? '?');
  // The compact form points to the full status; the full one has no need to.
  const forms = comments.map((comment) =>
    comment.body.includes('**Full status:**') ? 'compact' : 'full',
  );
  const pass =
    kinds.join(',') === 'progress,summary' &&
    lengths.every((length) => length <= GITHUB_BODY_LIMIT) &&
    refused === 0;
  console.log(
    `  GitHub: ${comments.length} comments (${kinds.map((k, i) => `${k}: ${forms[i]}`).join(', ')}), ` +
      `lengths ${lengths.join(' and ')} ` +
      `characters (limit ${GITHUB_BODY_LIMIT}), ${writes.length} writes, ${refused} refused, ` +
      `outbox done ${fmtMs(outboxMs)} after the sprint: ${pass ? 'PASS' : 'MISS'}`,
  );
  return { comments: comments.length, forms, lengths, writes: writes.length, refused, pass };
}

/** Peak resident memory of this process (worker included), sampled, and the kernel's high-water mark. */
function memorySampler(): { stop(): Promise<{ sampledMb: number; hwmMb?: number }> } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  return {
    async stop() {
      clearInterval(timer);
      const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return { sampledMb: peak / MB, hwmMb: hwm ? Number(hwm) / 1024 : undefined };
    },
  };
}

/** The longest history among the packages' child workflows. */
async function childrenMaxHistory(client: Client, spec: SprintSpec): Promise<number> {
  let max = 0;
  const ids = spec.packages.map((wp) => packageWorkflowId(spec.id, wp.id));
  for (let i = 0; i < ids.length; i += 25) {
    const lengths = await Promise.all(
      ids
        .slice(i, i + 25)
        .map(async (id) => (await client.workflow.getHandle(id).describe()).historyLength),
    );
    max = Math.max(max, ...lengths);
  }
  return max;
}

function printRuns(runs: RunHistory[]): void {
  runs.forEach((run, index) => {
    const within = run.events < WARN_EVENTS && run.bytes < WARN_BYTES;
    console.log(
      `  run ${index + 1}: ${run.events} events, ${(run.bytes / MB).toFixed(2)} MB` +
        ` (input ${(run.inputBytes / 1024).toFixed(0)} KB), packages adopted` +
        ` ${run.activities.awaitPackageEnd ?? 0}, merge rehearsals ${run.activities.rehearseMerge ?? 0}` +
        `  ${within ? 'ok' : 'OVER THE WARNING'}`,
    );
  });
}

/** One sprint of SCALE_PACKAGES cheap packages on the embedded dev server, with its history figures. */
async function main(): Promise<void> {
  let s: ScaleSettings;
  try {
    s = scaleSettings(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`scale: ${(error as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const scratch = await makeScratch();
  const temporal = await startBenchTemporal(path.join(scratch.dir, 'home')).catch(
    async (error: unknown) => {
      await scratch.cleanup();
      throw error;
    },
  );
  const onSignal = (): void => {
    void temporal
      .stop()
      .then(() => scratch.cleanup())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let github: GithubTarget | undefined;
  try {
    github = s.github ? await startGithub(temporal) : undefined;
    const spec = scaleSpec(await scratch.newRepo('scale'), s, github);
    console.log(
      `Scale: ${s.packages} packages in ${s.waves} waves, concurrency ${s.concurrency}, run \`${s.run}\`` +
        (github ? ', GitHub on (local server)' : ''),
    );
    const memory = memorySampler();
    const started = performance.now();
    const handle = await temporal.client.workflow.start(sprintWorkflow, {
      workflowId: spec.id,
      taskQueue: github?.taskQueue ?? temporal.taskQueue,
      args: [{ spec }],
    });
    const state = await settledSprintState(handle);
    const makespanMs = performance.now() - started;
    const peak = await memory.stop();
    assertCompleted(state, s.packages);

    const runs = await runHistories(temporal.client, spec.id, handle.firstExecutionRunId);
    const within = runs.every((run) => run.events < WARN_EVENTS && run.bytes < WARN_BYTES);
    console.log(`  makespan ${fmtMs(makespanMs)}`);
    console.log(`  runs ${runs.length} (continued as new ${runs.length - 1} times)`);
    const mergeMs = runs.reduce((sum, run) => sum + (run.activityMs.mergeIntoIntegration ?? 0), 0);
    console.log(`  final merge of ${s.packages} branches ${fmtMs(mergeMs)}`);
    printRuns(runs);
    console.log(
      `  children's longest history ${await childrenMaxHistory(temporal.client, spec)} events`,
    );
    const hwm = peak.hwmMb === undefined ? '' : `, high-water mark ${peak.hwmMb.toFixed(0)} MB`;
    console.log(`  worker peak RSS ${peak.sampledMb.toFixed(0)} MB sampled${hwm}`);
    console.log(`  every run under ${WARN_EVENTS} events and 10 MB: ${within ? 'PASS' : 'MISS'}`);
    const comments = github && (await checkComments(temporal.client, spec.id, github));
    console.log(
      `SCALE_RESULT ${JSON.stringify({ ...s, makespanMs: Math.round(makespanMs), runs, peakRssMb: peak, github: comments })}`,
    );
    if (!within || (comments && !comments.pass)) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await temporal.stop();
    await github?.server.close();
    await scratch.cleanup();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
