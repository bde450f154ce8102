import { ReportCoalescer } from '../../src/api/report-coalescer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ReportCoalescer', () => {
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
    const merged = [report(2), report(3), report(4)];
    expect(await first).toBe(1);
    expect(await Promise.all(merged)).toEqual([4, 4, 4]);
    expect(sent.map((s) => s.value)).toEqual([1, 4]);
    expect(sent[1]?.at).toBeGreaterThanOrEqual(190);
    await coalescer.flush();
  });

  it('keeps keys apart, and hands a failed send to every caller that shared it', async () => {
    const coalescer = new ReportCoalescer(100);
    const other = coalescer.submit('WP02', async () => 'two');
    await coalescer.submit('WP01', async () => 'one');
    const failing = [1, 2].map(() =>
      coalescer.submit('WP01', async () => {
        throw new Error('refused');
      }),
    );
    expect(await other).toBe('two');
    for (const outcome of await Promise.allSettled(failing)) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { message: 'refused' } });
    }
    await coalescer.flush();
  });

  it('sends at once after a quiet interval, and sends what waits when flushed', async () => {
    const coalescer = new ReportCoalescer(10_000);
    await coalescer.submit('WP01', async () => 1);
    const waiting = coalescer.submit('WP01', async () => 2);
    await sleep(20);
    await coalescer.flush();
    expect(await waiting).toBe(2);
    const short = new ReportCoalescer(30);
    await short.submit('WP01', async () => 1);
    await sleep(60);
    const at = Date.now();
    await short.submit('WP01', async () => 2);
    expect(Date.now() - at).toBeLessThan(25);
  });
});
