import { existsSync, readFileSync } from 'node:fs';

const GIT = 'git -c user.name=agent -c user.email=agent@example.test';

/**
 * A command that works like an AI agent: appends `steps` lines to `work.txt`, commits after the
 * first third, and records its start, every step and its end in `ledger` (outside the
 * repository) as `start|tick|end <pid> <ms since epoch>`. Run twice on the same worktree, it
 * leaves twice the lines and two commits: work done twice shows.
 */
export function appendingCommand(ledger: string, steps: number, delaySeconds = 0.1): string {
  const log = (what: string) => `echo "${what} $$ $(date +%s%3N)" >> ${ledger}`;
  return [
    log('start'),
    `i=0; while [ $i -lt ${steps} ]; do`,
    `  echo "line $i" >> work.txt; ${log('tick')}`,
    `  if [ $i -eq ${Math.floor(steps / 3)} ]; then ${GIT} add -A && ${GIT} commit -qm "first third"; fi`,
    `  i=$((i+1)); sleep ${delaySeconds}; done`,
    log('end'),
  ].join('\n');
}

export interface LedgerEntry {
  what: 'start' | 'tick' | 'end';
  pid: number;
  at: number;
}

export function readLedger(ledger: string): LedgerEntry[] {
  if (!existsSync(ledger)) return [];
  return readFileSync(ledger, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [what, pid, at] = line.split(' ');
      return { what: what as LedgerEntry['what'], pid: Number(pid), at: Number(at) };
    });
}

/** Attempts that wrote after a later attempt had started (in the ledger's own order). */
export function overlaps(entries: LedgerEntry[]): string[] {
  const found: string[] = [];
  entries.forEach((entry, i) => {
    if (entry.what !== 'start') return;
    const earlier = new Set(entries.slice(0, i).map((e) => e.pid));
    for (const late of entries.slice(i + 1)) {
      if (earlier.has(late.pid)) found.push(`${late.pid} wrote after ${entry.pid} started`);
    }
  });
  return [...new Set(found)];
}
