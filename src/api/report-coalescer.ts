interface Waiter<R> {
  resolve(result: R): void;
  reject(error: unknown): void;
}

interface Slot {
  lastSentAt: number;
  inFlight: boolean;
  timer?: NodeJS.Timeout;
  pending?: { send: () => Promise<unknown>; waiters: Waiter<unknown>[] };
}

/**
 * Sends at most one report per key per interval, the latest one. Reports that come while one
 * waits replace it, and their callers share its answer; the first report of a quiet key goes
 * out at once. Callers must only share a key when any of their reports would get the same
 * answer (same package, same attempt, each already checked on its own).
 */
export class ReportCoalescer {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly intervalMs: number) {}

  submit<R>(key: string, send: () => Promise<R>): Promise<R> {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { lastSentAt: -Infinity, inFlight: false };
      this.slots.set(key, slot);
    }
    const waiters = slot.pending?.waiters ?? [];
    slot.pending = { send, waiters };
    const answer = new Promise<R>((resolve, reject) => {
      waiters.push({ resolve: resolve as (result: unknown) => void, reject });
    });
    this.schedule(key, slot);
    return answer;
  }

  /** Sends what waits now, so nothing is lost at shutdown. */
  async flush(): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = undefined;
      if (slot.pending && !slot.inFlight) sends.push(this.send(slot));
    }
    this.slots.clear();
    await Promise.all(sends);
  }

  private schedule(key: string, slot: Slot): void {
    if (this.slots.get(key) !== slot || slot.inFlight || slot.timer) return;
    const wait = slot.lastSentAt + this.intervalMs - Date.now();
    if (wait > 0) {
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        this.schedule(key, slot);
      }, wait);
      return;
    }
    if (!slot.pending) {
      // Quiet for a whole interval: forget the key, so the map does not grow with every attempt.
      this.slots.delete(key);
      return;
    }
    void this.send(slot).then(() => this.schedule(key, slot));
  }

  private async send(slot: Slot): Promise<void> {
    const pending = slot.pending;
    if (!pending) return;
    slot.pending = undefined;
    slot.lastSentAt = Date.now();
    slot.inFlight = true;
    try {
      const result = await pending.send();
      for (const waiter of pending.waiters) waiter.resolve(result);
    } catch (error) {
      for (const waiter of pending.waiters) waiter.reject(error);
    } finally {
      slot.inFlight = false;
    }
  }
}
