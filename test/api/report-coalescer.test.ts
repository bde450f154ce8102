import { ReportCoalescer } from '../../src/api/report-coalescer';

describe('ReportCoalescer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends the first report at once, then the latest once per interval; callers share its answer', async () => {
    const coalescer = new ReportCoalescer(200);
    const sent: Array<{ value: number; at: number }> = [];
    const started = Date.now();
    const report = (value: number) =>
      coalescer.submit('WP01', async () => {
        sent.push({ value, at: Date.now() - started });
        return value;
      });

    const first = report(1);
    const merged = Promise.all([report(2), report(3), report(4)]);
    expect(await first).toBe(1);
    await jest.advanceTimersByTimeAsync(199);
    expect(sent).toEqual([{ value: 1, at: 0 }]);
    await jest.advanceTimersByTimeAsync(1);
    expect(await merged).toEqual([4, 4, 4]);
    expect(sent).toEqual([
      { value: 1, at: 0 },
      { value: 4, at: 200 },
    ]);
    await coalescer.flush();
  });

  it('keeps keys apart, and hands a failed send to every caller that shared it', async () => {
    const coalescer = new ReportCoalescer(100);
    const other = coalescer.submit('WP02', async () => 'two');
    await coalescer.submit('WP01', async () => 'one');
    const failing = Promise.allSettled(
      [1, 2].map(() =>
        coalescer.submit('WP01', async () => {
          throw new Error('refused');
        }),
      ),
    );
    expect(await other).toBe('two');
    await jest.advanceTimersByTimeAsync(100);
    for (const outcome of await failing) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { message: 'refused' } });
    }
    await coalescer.flush();
  });

  it('sends at once after a quiet interval, and sends what waits when flushed', async () => {
    const sent: number[] = [];
    const send = (value: number) => async () => {
      sent.push(value);
      return value;
    };
    const coalescer = new ReportCoalescer(10_000);
    await coalescer.submit('WP01', send(1));
    const waiting = coalescer.submit('WP01', send(2));
    await jest.advanceTimersByTimeAsync(20);
    expect(sent).toEqual([1]);
    await coalescer.flush();
    expect(await waiting).toBe(2);

    const short = new ReportCoalescer(30);
    await short.submit('WP01', send(3));
    await jest.advanceTimersByTimeAsync(60);
    void short.submit('WP01', send(4));
    expect(sent).toEqual([1, 2, 3, 4]); // sent before any timer could fire
    await short.flush();
  });
});
