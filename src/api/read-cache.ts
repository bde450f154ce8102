export interface ReadCache<V> {
  /**
   * The answer kept for `key` when it is younger than the TTL; one that is older but within the
   * stale window too, while a new load runs beside; else the load in flight or a new one.
   */
  read(key: string, load: () => Promise<V>): Promise<V>;
  /** Drops the answer kept for `key`: the next read waits for a new load. */
  forget(key: string): void;
}

interface Kept<V> {
  value: V;
  at: number;
  expiry: NodeJS.Timeout;
}

/**
 * Shares one load per key among concurrent callers and keeps its answer for `ttlMs` after it
 * arrived. With `staleMs`, an answer up to `ttlMs + staleMs` old is still given at once while
 * the next load runs, so no reader waits on a load under steady traffic; an answer is never
 * more than `ttlMs` plus one load old while reads keep coming. A failure reaches the callers
 * waiting for it, but is not kept.
 */
export function readCache<V>(ttlMs: number, staleMs = 0): ReadCache<V> {
  const kept = new Map<string, Kept<V>>();
  const loading = new Map<string, Promise<V>>();
  /** Loads that began before a `forget` are not kept: they may have read what came before. */
  const forgotten = new WeakSet<Promise<V>>();

  const keep = (key: string, value: V): void => {
    const old = kept.get(key);
    if (old) clearTimeout(old.expiry);
    const expiry = setTimeout(() => kept.delete(key), ttlMs + staleMs).unref();
    kept.set(key, { value, at: Date.now(), expiry });
  };

  const loadOnce = (key: string, load: () => Promise<V>): Promise<V> => {
    const inFlight = loading.get(key);
    if (inFlight) return inFlight;
    const next = load();
    loading.set(key, next);
    const done = (): void => {
      if (loading.get(key) === next) loading.delete(key);
    };
    next.then((value) => {
      done();
      if (!forgotten.has(next)) keep(key, value);
    }, done);
    return next;
  };

  return {
    read(key, load) {
      const answer = kept.get(key);
      if (!answer) return loadOnce(key, load);
      if (Date.now() - answer.at >= ttlMs) {
        // The kept answer serves this read; a failed refresh leaves it to expire.
        loadOnce(key, load).catch(() => undefined);
      }
      return Promise.resolve(answer.value);
    },
    forget(key) {
      const answer = kept.get(key);
      if (answer) clearTimeout(answer.expiry);
      kept.delete(key);
      const inFlight = loading.get(key);
      if (inFlight) forgotten.add(inFlight);
      loading.delete(key);
    },
  };
}
