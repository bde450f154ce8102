/**
 * `<home>/dev-server.json` names the process that started the embedded dev server. A server whose
 * starter is gone is being stopped by its lifeline (src/runtime/lifeline.ts): attaching to it
 * would lose the connection seconds later, so it is waited for and replaced instead.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { writeFileAtomically } from './atomic-file';
import { bootId, processStat, signalGroup } from './process-group';

const recordSchema = z.object({
  pid: z.number().int().positive(),
  ownerPid: z.number().int().positive(),
  port: z.number().int(),
  startedAt: z.string(),
  /** With the start times, tells a pid from a later process that got the same number. */
  bootId: z.string(),
  pidStartTime: z.number().optional(),
  ownerStartTime: z.number().optional(),
});

export type DevServerRecord = z.infer<typeof recordSchema>;

/** SIGKILL after this: the lifeline's own SIGKILL comes 10 s after its SIGTERM. */
const ORPHAN_GRACE_MS = 12_000;
const ORPHAN_KILL_WAIT_MS = 5_000;

export function devServerRecordFile(home: string): string {
  return path.join(home, 'dev-server.json');
}

/** Records that this process started the server `pid`; replaced atomically. */
export async function writeDevServerRecord(home: string, pid: number, port: number): Promise<void> {
  const record: DevServerRecord = {
    pid,
    ownerPid: process.pid,
    port,
    startedAt: new Date().toISOString(),
    bootId: bootId(),
    pidStartTime: processStat(pid)?.startTime,
    ownerStartTime: processStat(process.pid)?.startTime,
  };
  await writeFileAtomically(devServerRecordFile(home), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the record if it still names the server `pid` (a later starter may have replaced it). */
export async function removeDevServerRecord(home: string, pid: number): Promise<void> {
  const record = await readDevServerRecord(home);
  if (record?.pid === pid && record.ownerPid === process.pid) {
    await rm(devServerRecordFile(home), { force: true });
  }
}

export async function readDevServerRecord(home: string): Promise<DevServerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(devServerRecordFile(home), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = recordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // half a file from a writer without rename: as good as none
  }
}

/**
 * When the recorded server outlived its starter, stops it (SIGTERM, SIGKILL after ~12 s) and
 * resolves once it has exited, so a new server can take its port and database. A record whose
 * owner runs (another `sprintwave dev` or `run`) or whose processes are both gone is left alone.
 */
export async function stopOrphanedDevServer(home: string): Promise<void> {
  const record = await readDevServerRecord(home);
  if (!record || record.bootId !== bootId()) return;
  const server = (): boolean => running(record.pid, record.pidStartTime);
  if (running(record.ownerPid, record.ownerStartTime) || !server()) return;
  signalServer(record, server, 'SIGTERM');
  if (await waitUntil(() => !server(), ORPHAN_GRACE_MS)) return;
  signalServer(record, server, 'SIGKILL');
  if (await waitUntil(() => !server(), ORPHAN_KILL_WAIT_MS)) return;
  throw new Error(
    `The Temporal dev server ${record.pid} (of ${devServerRecordFile(home)}) outlived the process ` +
      `that started it and does not stop; stop it, then try again.`,
  );
}

/** The whole group: the server and its lifeline watcher. */
function signalServer(
  record: DevServerRecord,
  stillThere: () => boolean,
  signal: NodeJS.Signals,
): void {
  if (!stillThere()) return;
  if (!signalGroup(record.pid, signal)) {
    try {
      process.kill(record.pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Whether process `pid` (started at `startTime`, in clock ticks after boot, when known) has not
 * exited. A zombie has: a killed starter's children are reaped by pid 1, which may take seconds.
 */
function running(pid: number, startTime: number | undefined): boolean {
  const stat = processStat(pid);
  if (stat) return stat.state !== 'Z' && (startTime === undefined || stat.startTime === startTime);
  if (processStat(process.pid)) return false; // /proc works and has no such process
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Processes that attached to the embedded server, each a file `<home>/dev-server.users/<pid>`:
 * the process that started the server keeps it up while any of them still runs (bounded).
 */
function usersDir(home: string): string {
  return path.join(home, 'dev-server.users');
}

export async function registerDevServerUser(home: string): Promise<() => Promise<void>> {
  const file = path.join(usersDir(home), String(process.pid));
  await mkdir(usersDir(home), { recursive: true });
  const me = { pid: process.pid, bootId: bootId(), startTime: processStat(process.pid)?.startTime };
  await writeFile(file, JSON.stringify(me));
  return () => rm(file, { force: true });
}

/** How many other processes attached to the embedded server still run. */
export async function liveDevServerUsers(home: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(usersDir(home));
  } catch {
    return 0;
  }
  let live = 0;
  for (const name of names) {
    const file = path.join(usersDir(home), name);
    const user = await readFile(file, 'utf8')
      .then((text) => userSchema.parse(JSON.parse(text)))
      .catch(() => undefined);
    if (user && user.pid !== process.pid && user.bootId === bootId()) {
      if (running(user.pid, user.startTime)) {
        live++;
        continue;
      }
    }
    await rm(file, { force: true }); // gone without saying so: killed
  }
  return live;
}

const userSchema = z.object({
  pid: z.number().int().positive(),
  bootId: z.string(),
  startTime: z.number().optional(),
});

/** Whether the recorded server and the process that started it both still run. */
export function recordedServerRuns(record: DevServerRecord): boolean {
  return (
    running(record.ownerPid, record.ownerStartTime) && running(record.pid, record.pidStartTime)
  );
}
