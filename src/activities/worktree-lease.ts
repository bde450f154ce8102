/**
 * A fence per worktree: an attempt takes the worktree before its command starts, with a lease
 * written beside it (`<sprint dir>/.<wp>.lease.json`, a name no package id can have). A later
 * attempt reads the lease, stops whatever the earlier attempt still runs on this machine and
 * waits for it, then takes the worktree over; the earlier attempt, should it still be alive
 * elsewhere, sees its lease gone and stops. So two attempts never write in one worktree at once.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomically } from '../runtime/atomic-file';
import { bootId, groupAlive, processStat, signalGroup } from '../runtime/process-group';

export interface WorktreeLease {
  /** The n-th attempt on this worktree, counting every retry of every kind. */
  attempt: number;
  /** This attempt's own id; its command's processes carry it as `SPRINTWAVE_ATTEMPT`. */
  token: string;
  worker: string;
  host: string;
  bootId: string;
  /** The worker process that supervises the command. */
  pid: number;
  /** The command's process group, once it runs, and when its leader started (pids are reused). */
  pgid?: number;
  pgidStartTime?: number;
  takenAt: string;
  /** The attempt this one took over, until it is known to be stopped. */
  supersedes?: WorktreeLease;
}

/** The environment variable that marks every process of one attempt. */
export const ATTEMPT_ENV = 'SPRINTWAVE_ATTEMPT';

export function leasePath(worktree: string): string {
  return path.join(path.dirname(worktree), `.${path.basename(worktree)}.lease.json`);
}

/**
 * Where an attempt records its command's process group: a file of its own, beside the lease.
 * Only takers write the lease; were the holder to rewrite it with its group, a takeover landing
 * between its check and its write would be undone, and the holder would think it still held it.
 */
function groupPath(worktree: string, token: string): string {
  return path.join(path.dirname(worktree), `.${path.basename(worktree)}.${token}.group.json`);
}

export interface TakenWorktree {
  lease: WorktreeLease;
  /** The lease of the attempt before this one, if there was one. */
  previous?: WorktreeLease;
}

/** How long an earlier attempt's processes get between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 3_000;

/**
 * Records this attempt as the worktree's, then stops what the earlier one still runs here. The
 * lease is written first, so the earlier attempt learns at once that it was superseded; it
 * names the earlier attempt until that is stopped, so a crash in between loses nobody.
 */
export async function takeWorktree(worktree: string, worker: string): Promise<TakenWorktree> {
  const found = await readLease(worktree);
  const { supersedes: older, ...previous } = found ?? {};
  const lease: WorktreeLease = {
    attempt: (found?.attempt ?? 0) + 1,
    token: randomUUID(),
    worker,
    host: os.hostname(),
    bootId: bootId(),
    pid: process.pid,
    takenAt: new Date().toISOString(),
  };
  if (!found) {
    await writeLease(worktree, lease);
    return { lease };
  }
  await writeLease(worktree, { ...lease, supersedes: found });
  if (older) await stopAttempt(await withGroup(worktree, older));
  // Read again: its command may have recorded its group since the lease was read above.
  await stopAttempt(await withGroup(worktree, { ...found, supersedes: undefined }));
  await writeLease(worktree, lease);
  await forgetGroups(worktree, [found.token, ...(older ? [older.token] : [])]);
  return { lease, previous: previous as WorktreeLease };
}

/** Records the command's process group of this attempt, where a later attempt will look for it. */
export async function recordCommandGroup(
  worktree: string,
  lease: WorktreeLease,
  pgid: number,
): Promise<void> {
  lease.pgid = pgid;
  const startTime = processStat(pgid)?.startTime;
  if (startTime !== undefined) lease.pgidStartTime = startTime;
  const group: CommandGroup = {
    pgid,
    ...(startTime !== undefined ? { pgidStartTime: startTime } : {}),
  };
  await writeFileAtomically(groupPath(worktree, lease.token), `${JSON.stringify(group)}\n`);
}

type CommandGroup = Pick<WorktreeLease, 'pgid' | 'pgidStartTime'>;

/** The lease with its command's group, when its attempt recorded one. */
async function withGroup(worktree: string, lease: WorktreeLease): Promise<WorktreeLease> {
  if (lease.pgid !== undefined) return lease;
  try {
    const group = JSON.parse(
      await readFile(groupPath(worktree, lease.token), 'utf8'),
    ) as CommandGroup;
    return Number.isInteger(group.pgid) ? { ...lease, ...group } : lease;
  } catch {
    return lease; // none recorded (yet), or torn by a crash: found by its mark then
  }
}

/** Whether `lease` is still the worktree's: false once a later attempt took it over. */
export async function holdsLease(worktree: string, lease: WorktreeLease): Promise<boolean> {
  // Asked every second while a command runs: the token alone, not the command's group too.
  return (await readLeaseFile(worktree))?.token === lease.token;
}

/** The worktree's lease, with its command's group once its attempt recorded one. */
export async function readLease(worktree: string): Promise<WorktreeLease | undefined> {
  const lease = await readLeaseFile(worktree);
  return lease && (await withGroup(worktree, lease));
}

async function readLeaseFile(worktree: string): Promise<WorktreeLease | undefined> {
  let text: string;
  try {
    text = await readFile(leasePath(worktree), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const lease = JSON.parse(text) as WorktreeLease;
    return typeof lease.token === 'string' && Number.isInteger(lease.attempt) ? lease : undefined;
  } catch {
    return undefined; // torn by a crash mid-write: nothing of its attempt can be found by it
  }
}

/** Stopped attempts' group files go: only the current attempt's is ever read again. */
async function forgetGroups(worktree: string, tokens: string[]): Promise<void> {
  await Promise.all(tokens.map((token) => rm(groupPath(worktree, token), { force: true })));
}

async function writeLease(worktree: string, lease: WorktreeLease): Promise<void> {
  await writeFileAtomically(leasePath(worktree), `${JSON.stringify(lease)}\n`);
}

/**
 * Stops every process of an earlier attempt on this machine and waits until none runs: its
 * process group (when it is still that group: pids are reused) and any process that carries
 * its token, which finds those that left the group too.
 */
export async function stopAttempt(earlier: WorktreeLease): Promise<void> {
  if (earlier.bootId !== bootId() || earlier.host !== os.hostname()) return;
  const group = sameGroup(earlier) ? earlier.pgid : undefined;
  const alive = (): number[] => attemptProcesses(earlier.token);
  const signal = (name: NodeJS.Signals): void => {
    if (group) signalGroup(group, name);
    for (const pid of alive()) killQuietly(pid, name);
  };
  const running = (): boolean => (group !== undefined && groupAlive(group)) || alive().length > 0;
  if (!running()) return;
  signal('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (running() && Date.now() < deadline) await sleep(25);
  while (running()) {
    signal('SIGKILL');
    await sleep(25);
  }
}

function sameGroup(lease: WorktreeLease): boolean {
  if (!lease.pgid) return false;
  const leader = processStat(lease.pgid);
  // A new process with that pid means the old group had ended: pids of live groups are not reused.
  return !leader || lease.pgidStartTime === undefined || leader.startTime === lease.pgidStartTime;
}

/** Live processes whose environment carries `token` (Linux; none found elsewhere). */
function attemptProcesses(token: string): number[] {
  const marker = `${ATTEMPT_ENV}=${token}`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.split('\0').includes(marker)) continue;
    if (processStat(pid)?.state !== 'Z') found.push(pid);
  }
  return found;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}
