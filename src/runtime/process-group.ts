/**
 * Process groups as Linux shows them. `kill(-pgid, 0)` also succeeds for zombies, and killed
 * processes whose parent is gone stay zombies until pid 1 reaps them (seconds on some hosts):
 * a group counts as alive only while one of its processes has not exited.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Sends `signal` to every process of group `pgid`; false when the group is empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!(pgid > 1)) return false; // never -0 (our own group) or -1 (every process)
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group
  }
}

/** Whether any process of group `pgid` still runs (zombies do not count). */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  const leader = processStat(pgid);
  if (leader && leader.pgid === pgid && leader.state !== 'Z') return true; // no scan needed
  const members = groupMembers(pgid);
  return members === undefined || members.some((member) => member.state !== 'Z');
}

interface ProcessStat {
  pid: number;
  state: string;
  pgid: number;
  /** Clock ticks after boot: with the boot id, names one process for good (pids are reused). */
  startTime: number;
}

/** The processes of group `pgid`; undefined where /proc cannot tell. */
function groupMembers(pgid: number): ProcessStat[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: ProcessStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat?.pgid === pgid) members.push(stat);
  }
  return members;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone or /proc is not there. */
export function processStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '',
    pgid: Number(fields[2]),
    startTime: Number(fields[19]),
  };
}

let bootIdCache: string | undefined;

/** This boot of the machine: pids and process groups mean nothing across a reboot. */
export function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = 'unknown';
    }
  }
  return bootIdCache;
}
