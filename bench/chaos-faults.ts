import { progressQuery } from '../src/workflows/messages';
import { sleep } from './chaos-lab';
import type { ChaosLab } from './chaos-lab';

export type FaultTarget = 'worker' | 'server';

/**
 * A kill at a random point of the sprint: once `afterPackages` packages completed (the last layer
 * not yet, so the sprint is still running), plus `jitterMs`, so that it lands in any step of a package.
 * Points of progress rather than of time: a machine slower or faster than in the fault-free run
 * still gets every kill while the sprint runs. (test/workflows/integration-crash.test.ts kills
 * a worker in the integration merge itself.)
 */
export interface PlannedFault {
  target: FaultTarget;
  afterPackages: number;
  jitterMs: number;
}

export interface InjectedFault {
  target: FaultTarget;
  afterPackages: number;
  /** From the sprint's start request. */
  atMs: number;
}

const MAX_JITTER_MS = 800;
/** The packages of the chaos sprint's last layer (chaosSpec): still to come at the latest kill. */
const LAST_LAYER = 4;

/** The worker kill, and the server kill too when asked, at independent random points. */
export function planFaults(
  random: () => number,
  packages: number,
  withServer: boolean,
): PlannedFault[] {
  const targets: FaultTarget[] = withServer ? ['worker', 'server'] : ['worker'];
  return targets
    .map((target) => ({
      target,
      afterPackages: Math.floor(random() * Math.max(1, packages - LAST_LAYER + 1)),
      jitterMs: Math.round(random() * MAX_JITTER_MS),
    }))
    .sort((a, b) => a.afterPackages - b.afterPackages || a.jitterMs - b.jitterMs);
}

/** Injects the planned faults in order; stops when the sprint ends first. Returns the ones done. */
export async function injectFaults(
  lab: ChaosLab,
  sprintId: string,
  planned: readonly PlannedFault[],
  started: number,
  ended: () => boolean,
): Promise<InjectedFault[]> {
  const done: InjectedFault[] = [];
  for (const fault of planned) {
    await waitForCompleted(lab, sprintId, fault.afterPackages, ended);
    await sleep(fault.jitterMs);
    if (ended()) break;
    done.push({
      target: fault.target,
      afterPackages: fault.afterPackages,
      atMs: Date.now() - started,
    });
    await (fault.target === 'worker' ? lab.worker.crashAndRestart() : lab.server.crashAndRestart());
  }
  return done;
}

/** Polls the sprint's state (through restarts: a failed query is asked again) until enough packages completed. */
async function waitForCompleted(
  lab: ChaosLab,
  sprintId: string,
  count: number,
  ended: () => boolean,
): Promise<void> {
  const handle = lab.client.workflow.getHandle(sprintId);
  while (!ended()) {
    const state = await handle.query(progressQuery).catch(() => undefined);
    const completed = state?.packages.filter((wp) => wp.status === 'completed').length ?? -1;
    if (completed >= count) return;
    await sleep(100);
  }
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
