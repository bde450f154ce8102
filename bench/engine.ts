import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SprintSpec } from '../src/domain/spec';
import { analyseSprint, printLatency } from './latency';
import type { LatencyReport } from './latency';
import type { BenchTemporal, Scratch } from './support';
import {
  assertCompleted,
  fmtMs,
  median,
  runBash,
  shellQuote,
  sprintSpec,
  timed,
  uniqueId,
} from './support';

export const WAVES = 6;
export const PER_WAVE = 10;
export const CONCURRENCY = 10;
export const PACKAGES = WAVES * PER_WAVE;
export const TARGET_RATIO = 1.5;
/** The realistic workload: packages whose commands work for 1–3 s, within 5% of bash. */
export const REALISTIC_TARGET_RATIO = 1.05;

export interface EngineResult {
  reps: number;
  engineMs: number[];
  bashMs: number[];
  engineMedianMs: number;
  bashMedianMs: number;
  ratio: number;
  overheadPerPackageMs: number;
  target: number;
  pass: boolean;
  /** Worktree-add races the baseline had to retry (none where flock serializes them). */
  bashRetries: number;
  latency?: LatencyReport;
}

export interface Pkg {
  id: string;
  dependsOn: string[];
  run: string;
}

const pkgId = (wave: number, i: number): string => `w${wave}-${String(i).padStart(2, '0')}`;

/** 6 waves of 10; a package of wave k needs the same slot of wave k-1 and, for odd slots, the next. */
export function engineDag(): Pkg[][] {
  const waves: Pkg[][] = [];
  for (let wave = 1; wave <= WAVES; wave++) {
    const members: Pkg[] = [];
    for (let i = 1; i <= PER_WAVE; i++) {
      const id = pkgId(wave, i);
      const dependsOn = wave === 1 ? [] : [pkgId(wave - 1, i)];
      if (wave > 1 && i % 2 === 1) dependsOn.push(pkgId(wave - 1, (i % PER_WAVE) + 1));
      members.push({ id, dependsOn, run: `echo ${id} > f-${id}.txt` });
    }
    waves.push(members);
  }
  return waves;
}

/**
 * The same DAG with commands that work for a while, as real ones do: each sleeps 1–3 s (spread
 * evenly, the same in every run), then writes two files of its own (parallel edits of one file
 * would conflict in the final merge, on both sides).
 */
export function realisticDag(): Pkg[][] {
  return engineDag().map((members, wave) =>
    members.map((wp, i) => {
      const seconds = (1 + ((wave * PER_WAVE + i) % 11) / 5).toFixed(1);
      return {
        ...wp,
        run: `sleep ${seconds} && echo ${wp.id} >> notes-${wp.id}.txt && echo ${wp.id} > f-${wp.id}.txt`,
      };
    }),
  );
}

export function engineSpec(repo: string, waves: Pkg[][]): SprintSpec {
  return sprintSpec({
    id: uniqueId('bench-engine'),
    repo,
    concurrency: CONCURRENCY,
    strategy: 'waves',
    packages: waves.flat().map((wp) => ({ ...wp, title: `bench ${wp.id}` })),
  });
}

/**
 * The bash functions doing one package's git work by hand: a branch + worktree from main, its
 * dependencies merged in (--no-ff), the command, add + commit. They read `$repo` and `$worktrees`.
 */
function bashPackageFunctions(packages: Pkg[]): string {
  const commands = packages.map((wp) => `    ${wp.id}) cmd=${shellQuote(wp.run)} ;;`).join('\n');
  return `# Parallel worktree adds trip over a sibling's half-made admin dir ("failed to read
# .git/worktrees/<other>/commondir"): take turns where flock exists; pkg retries anyway.
add_worktree() {
  if command -v flock >/dev/null; then flock "$repo/.git/bench-worktree.lock" git -C "$repo" worktree add -q "$@"
  else git -C "$repo" worktree add -q "$@"; fi
}
pkg() {
  set -euo pipefail
  local id="$1"; shift
  local cmd
  case "$id" in
${commands}
  esac
  local dir="$worktrees/$id" try ok=''
  git -C "$repo" branch "bench/$id" main
  for try in 1 2 3 4 5; do
    if add_worktree "$dir" "bench/$id" 2>/dev/null; then ok=1; break; fi
    echo "worktree add $id failed (try $try)" >&2; sleep 0.05
  done
  [ -n "$ok" ]
  cd "$dir"
  local dep
  for dep in "$@"; do git merge -q --no-ff --no-edit "bench/$dep"; done
  sh -c "$cmd"
  git add -A
  git commit -q --no-verify -m "bench: $id"
}`;
}

/** Every package branch merged --no-ff, in `order`, into an integration branch from main. */
function bashIntegration(order: string[]): string {
  return `git -C "$repo" worktree add -q -b bench/integration "$worktrees/_integration" main
cd "$worktrees/_integration"
for id in ${order.join(' ')}; do git merge -q --no-ff --no-edit -m "merge $id" "bench/$id"; done
`;
}

const BASH_HEAD = `#!/usr/bin/env bash
set -euo pipefail
repo="$1"; worktrees="$2"; shift 2
export repo worktrees
`;

/**
 * The same git work as the engine, by hand: each package as `bashPackageFunctions` does it, at
 * most `CONCURRENCY` at once, wave by wave; then every branch merged into an integration branch
 * in wave order. Arguments: the repository and the worktree folder.
 */
export function bashBaseline(waves: Pkg[][]): string {
  const waveBlocks = waves
    .map(
      (members) =>
        `run_wave <<'EOF'\n${members.map((wp) => [wp.id, ...wp.dependsOn].join(' ')).join('\n')}\nEOF`,
    )
    .join('\n');
  return `${BASH_HEAD}${bashPackageFunctions(waves.flat())}
export -f pkg add_worktree
run_wave() { xargs -P ${CONCURRENCY} -L 1 bash -c 'pkg "$@"' _; }
${waveBlocks}
${bashIntegration(waves.flat().map((wp) => wp.id))}`;
}

/** One package of the baseline: arguments repository, worktree folder, package id, its dependencies. */
export function bashPackageScript(packages: Pkg[]): string {
  return `${BASH_HEAD}${bashPackageFunctions(packages)}\npkg "$@"\n`;
}

/** The baseline's integration merge alone: arguments repository, worktree folder. */
export function bashIntegrationScript(order: string[]): string {
  return `${BASH_HEAD}${bashIntegration(order)}`;
}

let bashRetries = 0;

/** One run of the bash baseline in a fresh repository; resolves to its makespan (ms). */
export async function runBaselineOnce(
  scratch: Scratch,
  waves: Pkg[][],
  name: string,
): Promise<number> {
  const repo = await scratch.newRepo(name);
  const script = path.join(scratch.dir, `${name}.sh`);
  await writeFile(script, bashBaseline(waves));
  const { ms, value: stderr } = await timed(() =>
    runBash(script, [repo, path.join(path.dirname(repo), 'worktrees')]),
  );
  bashRetries += stderr.split('\n').filter((line) => line.startsWith('worktree add')).length;
  return ms;
}

async function runEngineOnce(
  temporal: BenchTemporal,
  scratch: Scratch,
  waves: Pkg[][],
  name: string,
) {
  const spec = engineSpec(await scratch.newRepo(name), waves);
  const { ms, state } = await temporal.runSprint(spec);
  assertCompleted(state, PACKAGES);
  return { ms, spec };
}

export async function benchEngine(
  temporal: BenchTemporal,
  scratch: Scratch,
  reps: number,
  waves: Pkg[][] = engineDag(),
  target: number = TARGET_RATIO,
  /** Names its repositories apart from another workload's in the same scratch folder. */
  prefix = '',
): Promise<EngineResult> {
  // Warm-up, not measured: the worker's first workflow tasks and git's page cache.
  const tiny = [waves[0]?.slice(0, 2) ?? []];
  await runBaselineOnce(scratch, tiny, `${prefix}warm-bash`);
  const warm = engineSpec(await scratch.newRepo(`${prefix}warm-engine`), tiny);
  assertCompleted((await temporal.runSprint(warm)).state, 2);

  const engineMs: number[] = [];
  const bashMs: number[] = [];
  let lastSprint = '';
  for (let rep = 1; rep <= reps; rep++) {
    // Alternate who goes first, so drift in the machine's load hits both alike.
    const order = rep % 2 ? (['engine', 'bash'] as const) : (['bash', 'engine'] as const);
    for (const who of order) {
      if (who === 'bash') {
        bashMs.push(await runBaselineOnce(scratch, waves, `${prefix}bash-${rep}`));
      } else {
        const { ms, spec } = await runEngineOnce(
          temporal,
          scratch,
          waves,
          `${prefix}engine-${rep}`,
        );
        engineMs.push(ms);
        lastSprint = spec.id;
      }
      const last = who === 'bash' ? bashMs.at(-1) : engineMs.at(-1);
      console.log(`  rep ${rep} ${who.padEnd(6)} ${fmtMs(last ?? NaN)}`);
    }
  }
  const engineMedianMs = median(engineMs);
  const bashMedianMs = median(bashMs);
  const ratio = engineMedianMs / bashMedianMs;
  const latency = lastSprint
    ? await analyseSprint(
        temporal.client,
        lastSprint,
        waves.map((members) => members.map((wp) => wp.id)),
      )
    : undefined;
  return {
    reps,
    engineMs,
    bashMs,
    engineMedianMs,
    bashMedianMs,
    ratio,
    overheadPerPackageMs: (engineMedianMs - bashMedianMs) / PACKAGES,
    target,
    pass: ratio <= target,
    bashRetries,
    latency,
  };
}

export function printEngine(result: EngineResult, workload = 'trivial commands'): void {
  console.log(
    `\nEngine vs bash (${workload}): ${PACKAGES} packages, ${WAVES} waves of ${PER_WAVE}, concurrency ${CONCURRENCY}, N=${result.reps}`,
  );
  console.log(
    `  engine median ${fmtMs(result.engineMedianMs)}   (${result.engineMs.map(fmtMs).join(', ')})`,
  );
  console.log(
    `  bash   median ${fmtMs(result.bashMedianMs)}   (${result.bashMs.map(fmtMs).join(', ')})`,
  );
  console.log(
    `  ratio engine/bash ${result.ratio.toFixed(2)}  target ≤ ${result.target}  ${result.pass ? 'PASS' : 'MISS'}`,
  );
  console.log(`  orchestration overhead per package ${Math.round(result.overheadPerPackageMs)} ms`);
  if (result.bashRetries)
    console.log(`  (bash retried ${result.bashRetries} racing worktree adds)`);
  if (result.latency) {
    console.log("  where a package's time goes (last engine run, from workflow histories):");
    printLatency(result.latency);
  }
}
