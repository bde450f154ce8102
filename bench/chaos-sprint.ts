import type { SprintSpec } from '../src/domain/spec';
import { checkSprintSpec } from '../src/schemas/sprint-spec';
import { git, initRepo, shellQuote } from './support';

/** Steps of each package's command, a line and a ledger tick each, ~0.3 s apart. */
const STEPS = 4;
/** The step after which the command commits its work so far, as an agent does. */
const COMMIT_AFTER = 2;

/**
 * `count` packages in layers of four, each needing two of the layer before. Each appends to its
 * own file, commits mid-way and lists what it sees of its dependencies' work, so lost,
 * misplaced or repeated work changes the tree. Every start, step and end goes to `ledger`,
 * outside the repository, to tell whether an attempt ran on beside another or after its worker.
 */
export function chaosSpec(
  repo: string,
  id: string,
  count: number,
  issue: number,
  ledger: string,
): SprintSpec {
  const ids = Array.from({ length: count }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`);
  const packages = ids.map((wp, i) => {
    const layer = Math.floor(i / 4);
    const dependsOn =
      layer === 0 ? [] : [...new Set([ids[i - 4], ids[(layer - 1) * 4 + ((i + 1) % 4)]])];
    return { id: wp, title: `Package ${wp}`, dependsOn, run: packageCommand(wp, ledger) };
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

/**
 * Not idempotent, like an agent: a second run on top of the first appends the lines again.
 * Pids and times go to the ledger only, so the fault-free tree is the same every time.
 */
function packageCommand(wp: string, ledger: string): string {
  return [
    `L=${shellQuote(ledger)}; w=${wp}`,
    // Like an agent that outlives its output: only the engine may stop it, not a closed pipe.
    "trap '' PIPE",
    'now() { date +%s%3N; }',
    'echo "start $w $$ $(now)" >> "$L"',
    `echo "::progress 0/${STEPS}"`,
    'mkdir -p out seen',
    'ls out | grep -vx "$w.log" > "seen/$w.txt"',
    `for k in $(seq ${STEPS}); do`,
    '  echo "$w step $k" >> "out/$w.log"',
    '  echo "tick $w $$ $(now)" >> "$L"',
    `  echo "::progress $k/${STEPS}"`,
    `  if [ "$k" = ${COMMIT_AFTER} ]; then git add -A && git commit -q -m "$w step $k" || exit 1; fi`,
    '  sleep 0.3',
    'done',
    'echo "end $w $$ $(now)" >> "$L"',
  ].join('\n');
}

export function newRepo(dir: string): Promise<string> {
  return initRepo(dir, 'chaos');
}

export async function treeOf(repo: string, branch: string): Promise<string> {
  return (await git(repo, 'rev-parse', `${branch}^{tree}`)).trim();
}

/** The paths whose contents differ between two trees, each in its own repository. */
export async function changedPaths(
  a: { repo: string; tree: string },
  b: { repo: string; tree: string },
): Promise<string[]> {
  const [before, after] = await Promise.all([blobs(a.repo, a.tree), blobs(b.repo, b.tree)]);
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((file) => before.get(file) !== after.get(file)).sort();
}

async function blobs(repo: string, tree: string): Promise<Map<string, string>> {
  const listing = await git(repo, 'ls-tree', '-r', '-z', tree);
  const entries = listing.split('\0').filter(Boolean);
  // `<mode> <type> <object>\t<path>`
  return new Map(entries.map((entry) => [entry.slice(entry.indexOf('\t') + 1), entry]));
}

/** One attempt of a package's command as the ledger shows it. */
interface Attempt {
  pid: number;
  /** Line numbers in the ledger. */
  startLine: number;
  lastLine: number;
  startMs: number;
  lastMs: number;
  ended: boolean;
}

/** An attempt that wrote on after a later attempt of the same package had started. */
export interface AttemptOverlap {
  wp: string;
  earlierPid: number;
  laterPid: number;
  /** From the later attempt's start to the earlier one's last line. */
  forMs: number;
}

/** An attempt that wrote on after the worker running it was killed. */
export interface OutlivedAttempt {
  wp: string;
  pid: number;
  /** From the kill to the attempt's last line. */
  forMs: number;
}

export interface LedgerCheck {
  /** Starts beyond the first, summed over the packages. */
  attempts: number;
  /** The packages started more than once. */
  retried: string[];
  overlaps: AttemptOverlap[];
  outlived: OutlivedAttempt[];
  /** Packages that never finished, lines that are not the commands'. */
  problems: string[];
}

const LEDGER_LINE = /^(start|tick|end) (\S+) (\d+) (\d+)$/;
/** How long a write may trail its worker's kill: the kill takes a moment to reach the command. */
const KILL_REACH_MS = 150;

/**
 * Reads the commands' ledger. An attempt runs from its start line to its last line; one with no
 * end line was killed, and overlaps the next only when it still wrote after that one's start.
 * `workerKills` are the moments (epoch ms) the worker was killed: no attempt may write on after.
 */
export function checkLedger(
  text: string,
  packages: readonly string[],
  workerKills: readonly number[] = [],
): LedgerCheck {
  const { byPackage, problems } = readAttempts(text, packages);
  const overlaps: AttemptOverlap[] = [];
  const outlived: OutlivedAttempt[] = [];
  for (const [wp, attempts] of byPackage) {
    if (!attempts.some((a) => a.ended)) {
      problems.push(`${wp} has no finished attempt in the ledger`);
    }
    overlaps.push(...overlapsOf(wp, attempts));
    outlived.push(...outlivedOf(wp, attempts, workerKills));
  }
  const retried = [...byPackage].filter(([, starts]) => starts.length > 1).map(([wp]) => wp);
  const attempts = [...byPackage.values()].reduce((sum, a) => sum + Math.max(0, a.length - 1), 0);
  return { attempts, retried, overlaps, outlived, problems };
}

/** Line order, not clock time: appends are atomic, so the ledger's order is the order of events. */
function overlapsOf(wp: string, attempts: readonly Attempt[]): AttemptOverlap[] {
  return attempts.flatMap((earlier, i) => {
    const later = attempts[i + 1];
    if (!later || earlier.lastLine < later.startLine) return [];
    const forMs = earlier.lastMs - later.startMs;
    return [{ wp, earlierPid: earlier.pid, laterPid: later.pid, forMs }];
  });
}

function outlivedOf(
  wp: string,
  attempts: readonly Attempt[],
  workerKills: readonly number[],
): OutlivedAttempt[] {
  return attempts.flatMap((attempt) => {
    const kill = workerKills.find(
      (at) => attempt.startMs <= at && attempt.lastMs > at + KILL_REACH_MS,
    );
    return kill === undefined ? [] : [{ wp, pid: attempt.pid, forMs: attempt.lastMs - kill }];
  });
}

/** Each package's attempts in the order they started, and the lines that fit none. */
function readAttempts(
  text: string,
  packages: readonly string[],
): { byPackage: Map<string, Attempt[]>; problems: string[] } {
  const byPackage = new Map<string, Attempt[]>(packages.map((wp) => [wp, []]));
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const [, kind, wp = '', pid, ms] = LEDGER_LINE.exec(line) ?? [];
    const attempts = byPackage.get(wp);
    if (!kind || !attempts) {
      problems.push(`ledger line ${i + 1} is not a command's: ${line}`);
      continue;
    }
    if (kind === 'start') {
      const at = { pid: Number(pid), startLine: i, lastLine: i, startMs: Number(ms) };
      attempts.push({ ...at, lastMs: at.startMs, ended: false });
      continue;
    }
    // The latest attempt with that pid: pids may come round again.
    const attempt = [...attempts].reverse().find((a) => a.pid === Number(pid));
    if (!attempt) {
      problems.push(`ledger line ${i + 1} has no start: ${line}`);
      continue;
    }
    attempt.lastLine = i;
    attempt.lastMs = Number(ms);
    if (kind === 'end') attempt.ended = true;
  }
  return { byPackage, problems };
}
