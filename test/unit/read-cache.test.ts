import { readCache } from '../../src/api/read-cache';

/** A load whose answer the test gives when it wants, counting how often it was started. */
function controlledLoad() {
  const started: Array<(value: string) => void> = [];
  const failed: Array<(error: Error) => void> = [];
  const load = () =>
    new Promise<string>((resolve, reject) => {
      started.push(resolve);
      failed.push(reject);
    });
  return { load, started, failed };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('readCache', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('shares one load among concurrent readers and keeps its answer for the TTL', async () => {
    const cache = readCache<string>(250);
    const { load, started } = controlledLoad();
    const reads = [cache.read('s', load), cache.read('s', load)];
    expect(started).toHaveLength(1);
    started[0]?.('one');
    expect(await Promise.all(reads)).toEqual(['one', 'one']);
    jest.advanceTimersByTime(249);
    expect(await cache.read('s', load)).toBe('one');
    expect(started).toHaveLength(1);
    jest.advanceTimersByTime(1);
    const after = cache.read('s', load);
    expect(started).toHaveLength(2);
    started[1]?.('two');
    expect(await after).toBe('two');
  });

  it('past the TTL, answers at once with the kept answer while the next load runs', async () => {
    const cache = readCache<string>(250, 1_000);
    const { load, started } = controlledLoad();
    const first = cache.read('s', load);
    started[0]?.('one');
    await first;
    jest.advanceTimersByTime(300);
    // No reader waits: the kept answer, and one refresh beside for all of them.
    expect(await cache.read('s', load)).toBe('one');
    expect(await cache.read('s', load)).toBe('one');
    expect(started).toHaveLength(2);
    started[1]?.('two');
    await settle();
    expect(await cache.read('s', load)).toBe('two');
    // Past TTL and stale window with no reads: the answer is gone, a reader waits again.
    jest.advanceTimersByTime(1_250);
    const waiting = cache.read('s', load);
    expect(started).toHaveLength(3);
    started[2]?.('three');
    expect(await waiting).toBe('three');
  });

  it('forgets on request, and does not keep a load that began before', async () => {
    const cache = readCache<string>(250, 1_000);
    const { load, started } = controlledLoad();
    const first = cache.read('s', load);
    started[0]?.('before');
    await first;
    jest.advanceTimersByTime(300);
    expect(await cache.read('s', load)).toBe('before'); // starts a refresh
    cache.forget('s');
    started[1]?.('read before the change');
    const next = cache.read('s', load);
    expect(started).toHaveLength(3);
    started[2]?.('after');
    expect(await next).toBe('after');
    expect(await cache.read('s', load)).toBe('after');
  });

  it('gives a failed load to those waiting for it and keeps nothing of it', async () => {
    const cache = readCache<string>(250, 1_000);
    const { load, started, failed } = controlledLoad();
    const first = cache.read('s', load);
    failed[0]?.(new Error('Temporal is down'));
    await expect(first).rejects.toThrow('Temporal is down');
    const again = cache.read('s', load);
    expect(started).toHaveLength(2);
    started[1]?.('back');
    expect(await again).toBe('back');
  });
});
