export interface ReadCache<V> {
  /** The answer of a load for `key` that is in flight or arrived within the TTL, else a new load. */
  read(key: string, load: () => Promise<V>): Promise<V>;
}

/**
 * Shares one load per key among concurrent callers and keeps its answer for `ttlMs` after it
 * arrived. A failure reaches the callers already waiting for it, but is not kept.
 */
export function readCache<V>(ttlMs: number): ReadCache<V> {
  const entries = new Map<string, Promise<V>>();
  return {
    read(key, load) {
      const cached = entries.get(key);
      if (cached) return cached;
      const loading = load();
      entries.set(key, loading);
      const forget = (): void => {
        if (entries.get(key) === loading) entries.delete(key);
      };
      void loading.then(() => setTimeout(forget, ttlMs).unref(), forget);
      return loading;
    },
  };
}
