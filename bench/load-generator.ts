import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Open-loop load: requests leave at a fixed rate, whether or not earlier ones were answered. */
export interface LoadOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** A request not answered within this counts as an error. */
  timeoutMs: number;
}

export interface LoadStats {
  sent: number;
  /** 2xx answers. */
  ok: number;
  /** Non-2xx answers, by status. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts. */
  failures: number;
  errors: number;
  /** Latency from each request's scheduled time, so a stalled sender cannot hide slow answers. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The latest a request left after its scheduled time (the sender's own lag). */
  maxSendLagMs: number;
  elapsedMs: number;
}

interface Outcome {
  status?: number;
  latencyMs: number;
}

async function request(url: string, scheduledAt: number, timeoutMs: number): Promise<Outcome> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return { status: response.status, latencyMs: performance.now() - scheduledAt };
  } catch {
    return { latencyMs: performance.now() - scheduledAt };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}

/** Sends `rate × seconds` GETs to `url` on a fixed schedule, then waits for every answer. */
export async function generateLoad(options: LoadOptions): Promise<LoadStats> {
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const started = performance.now();
  const pending: Promise<Outcome>[] = [];
  let maxSendLagMs = 0;
  while (pending.length < total) {
    const now = performance.now();
    while (pending.length < total && started + pending.length * interval <= now) {
      const scheduledAt = started + pending.length * interval;
      maxSendLagMs = Math.max(maxSendLagMs, now - scheduledAt);
      pending.push(request(options.url, scheduledAt, options.timeoutMs));
    }
    const next = started + pending.length * interval;
    if (pending.length < total) await sleep(Math.max(0, next - performance.now()));
  }
  const outcomes = await Promise.all(pending);
  return summarize(outcomes, maxSendLagMs, performance.now() - started);
}

function summarize(outcomes: Outcome[], maxSendLagMs: number, elapsedMs: number): LoadStats {
  const statuses: Record<string, number> = {};
  let ok = 0;
  let failures = 0;
  const latencies: number[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === undefined) {
      failures++;
      continue;
    }
    latencies.push(outcome.latencyMs);
    if (outcome.status >= 200 && outcome.status < 300) ok++;
    else statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
  }
  latencies.sort((a, b) => a - b);
  return {
    sent: outcomes.length,
    ok,
    statuses,
    failures,
    errors: outcomes.length - ok,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    maxSendLagMs,
    elapsedMs,
  };
}

// Run as a worker thread: the sender keeps its own event loop, so the API's work in the main
// thread does not delay the schedule, and the sender's work does not slow the API.
export const LOAD_WORKER = 'sprintwave-load-generator';

if (!isMainThread && parentPort && (workerData as { role?: string })?.role === LOAD_WORKER) {
  const port = parentPort;
  generateLoad((workerData as { options: LoadOptions }).options).then(
    (stats) => port.postMessage({ stats }),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
}
