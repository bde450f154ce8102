import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { coalesce } from '../../src/activities/coalesce';
import { SECRET_ENV, runShellCommand } from '../../src/activities/executor';
import type { CommandProgress } from '../../src/activities/executor';
import { helperPid } from '../../src/activities/spawner';

/** Dead includes zombies: where PID 1 never reaps (some containers), they linger as entries. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  const statPath = `/proc/${pid}/stat`;
  if (!existsSync(statPath)) return true;
  const state = readFileSync(statPath, 'utf8').split(') ')[1]?.charAt(0);
  return state !== 'Z' && state !== 'X';
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(pid) && Date.now() < deadline) await sleep(20);
  return !isRunning(pid);
}

async function readPid(file: string): Promise<number> {
  const pid = Number((await readFile(file, 'utf8')).trim());
  expect(Number.isInteger(pid) && pid > 0).toBe(true);
  return pid;
}

describe('runShellCommand', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'sprintwave-executor-')));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports exit codes as results, never as errors', async () => {
    const ok = await runShellCommand({ command: 'true', cwd: dir });
    expect(ok).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false });
    const failed = await runShellCommand({ command: 'echo broken; exit 3', cwd: dir });
    expect(failed).toMatchObject({ exitCode: 3, signal: null, timedOut: false, cancelled: false });
    expect(failed.tail).toEqual(['broken']);
    expect(failed.durationMs).toBeGreaterThanOrEqual(0);
    expect(failed.lastProgress).toBeUndefined();
  });

  it("keeps sprintwave's own tokens out of the command's environment", async () => {
    const saved = SECRET_ENV.map((name) => [name, process.env[name]] as const);
    for (const name of SECRET_ENV) process.env[name] = `secret-${name}`;
    process.env.SPRINTWAVE_OTHER = 'visible';
    try {
      const result = await runShellCommand({ command: 'env', cwd: dir });
      const output = result.tail.join('\n');
      expect(output).toContain('SPRINTWAVE_OTHER=visible');
      for (const name of SECRET_ENV) expect(output).not.toContain(`secret-${name}`);
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      delete process.env.SPRINTWAVE_OTHER;
    }
  });

  it('passes env vars merged over process.env and runs in cwd', async () => {
    const result = await runShellCommand({
      command: 'echo "$SPRINTWAVE_WP_ID"; pwd; command -v sh >/dev/null && echo has-path',
      cwd: dir,
      env: { SPRINTWAVE_WP_ID: 'WP01' },
    });
    expect(result.tail).toEqual(['WP01', dir, 'has-path']);
  });

  it('keeps the last 200 lines of a long output in order', async () => {
    const result = await runShellCommand({
      command: 'i=1; while [ $i -le 1000 ]; do echo "line $i"; i=$((i+1)); done',
      cwd: dir,
    });
    expect(result.exitCode).toBe(0);
    expect(result.tail).toHaveLength(200);
    expect(result.tail).toEqual(Array.from({ length: 200 }, (_, i) => `line ${801 + i}`));
  });

  it('interleaves stderr with stdout and keeps a last line without newline', async () => {
    const result = await runShellCommand({
      command: 'echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; printf out2',
      cwd: dir,
    });
    expect(result.tail).toEqual(['out1', 'err1', 'out2']);
  });

  it('parses progress lines on stdout and reports every output', async () => {
    const seen: CommandProgress[] = [];
    let outputs = 0;
    const result = await runShellCommand({
      command:
        "echo '::progress 1/3 parsing'; echo working; echo '::progress 3/3'; echo '::progress 9/3'",
      cwd: dir,
      onProgress: (progress) => seen.push(progress),
      onOutput: () => {
        outputs += 1;
      },
    });
    expect(seen).toEqual([
      { done: 1, total: 3, note: 'parsing' },
      { done: 3, total: 3 },
    ]);
    expect(result.lastProgress).toEqual({ done: 3, total: 3 });
    expect(result.tail).toContain('working');
    expect(outputs).toBeGreaterThanOrEqual(1);
  });

  it('survives hooks that throw', async () => {
    const result = await runShellCommand({
      command: "echo '::progress 1/1'",
      cwd: dir,
      onProgress: () => {
        throw new Error('hook failed');
      },
      onOutput: () => {
        throw new Error('hook failed');
      },
    });
    expect(result).toMatchObject({ exitCode: 0, lastProgress: { done: 1, total: 1 } });
  });

  it('on timeout kills the whole process group, grandchildren included', async () => {
    const pidFile = join(dir, 'timeout.pid');
    const result = await runShellCommand({
      command: `sleep 30 & echo $! > ${pidFile}; echo started; sleep 30`,
      cwd: dir,
      timeoutMs: 300,
      killGraceMs: 300,
    });
    expect(result).toMatchObject({
      exitCode: null,
      signal: 'SIGTERM',
      timedOut: true,
      cancelled: false,
    });
    expect(result.tail).toEqual(['started']);
    expect(isRunning(await readPid(pidFile))).toBe(false);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const result = await runShellCommand({
      command: `trap '' TERM; sleep 30 & echo $! > ${pidFile}; sleep 30`,
      cwd: dir,
      timeoutMs: 200,
      killGraceMs: 200,
    });
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true });
    expect(isRunning(await readPid(pidFile))).toBe(false);
  });

  it('cancels through an AbortSignal, grandchildren included', async () => {
    const pidFile = join(dir, 'cancel.pid');
    const controller = new AbortController();
    const result = await runShellCommand({
      command: `sleep 30 & echo $! > ${pidFile}; echo ready; sleep 30`,
      cwd: dir,
      signal: controller.signal,
      killGraceMs: 300,
      onOutput: () => controller.abort(),
    });
    expect(result).toMatchObject({ exitCode: null, timedOut: false, cancelled: true });
    expect(isRunning(await readPid(pidFile))).toBe(false);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const marker = join(dir, 'never');
    const result = await runShellCommand({
      command: `touch ${marker}`,
      cwd: dir,
      signal: AbortSignal.abort(),
    });
    expect(result).toMatchObject({ cancelled: true, exitCode: null, tail: [] });
    expect(existsSync(marker)).toBe(false);
  });

  it('cleans up background processes left behind by a finished command', async () => {
    const pidFile = join(dir, 'leftover.pid');
    const result = await runShellCommand({
      command: `sleep 30 & echo $! > ${pidFile}; echo done`,
      cwd: dir,
      killGraceMs: 300,
    });
    expect(result).toMatchObject({
      exitCode: 0,
      timedOut: false,
      cancelled: false,
      tail: ['done'],
    });
    // Generous for a loaded machine; waiting for the leftover's output to close would take 30 s.
    expect(result.durationMs).toBeLessThan(20_000);
    expect(await waitUntilGone(await readPid(pidFile), 10_000)).toBe(true);
  });

  it('rejects with the cwd named when the command cannot be spawned', async () => {
    const missing = join(dir, 'no-such-dir');
    await expect(runShellCommand({ command: 'true', cwd: missing })).rejects.toThrow(missing);
  });

  it('starts commands from the small helper, not from the worker process', async () => {
    const result = await runShellCommand({ command: 'echo "parent $PPID"', cwd: dir });
    const helper = helperPid();
    expect(helper).toEqual(expect.any(Number));
    expect(helper).not.toBe(process.pid);
    expect(result.tail).toEqual([`parent ${helper}`]);
  });

  it('delivers all output of a command that ends at once', async () => {
    const result = await runShellCommand({ command: 'seq 1 500; echo last >&2', cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(result.tail).toHaveLength(200);
    expect(result.tail.slice(-2)).toEqual(['500', 'last']);
  });

  it('stops a command whose helper died, reports it lost, and starts the next one', async () => {
    const pidFile = join(dir, 'orphan.pid');
    const running = runShellCommand({ command: `echo $$ > ${pidFile}; exec sleep 30`, cwd: dir });
    const outcome = expect(running).rejects.toThrow(/Lost the command.*helper process exited/);
    let pid = 0;
    for (let i = 0; i < 200 && !pid; i++) {
      await sleep(10);
      pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    }
    const helper = helperPid();
    process.kill(helper ?? 0, 'SIGKILL');
    await outcome;
    expect(await waitUntilGone(pid, 2_000)).toBe(true);

    const next = await runShellCommand({ command: 'echo again', cwd: dir });
    expect(next).toMatchObject({ exitCode: 0, tail: ['again'] });
    expect(helperPid()).not.toBe(helper);
  });
});

describe('coalesce', () => {
  it('sends the first value at once and the latest one at the end of the interval', async () => {
    const sent: number[] = [];
    const reporter = coalesce(async (value: number) => {
      sent.push(value);
    }, 100);
    reporter.push(1);
    reporter.push(2);
    reporter.push(3);
    await sleep(20);
    expect(sent).toEqual([1]);
    await sleep(150);
    expect(sent).toEqual([1, 3]);
    await reporter.flush();
    expect(sent).toEqual([1, 3]);
  });

  it('sends at most once per interval for a burst of 1,000 pushes, ending with the latest', async () => {
    const intervalMs = 50;
    const sent: number[] = [];
    const reporter = coalesce(async (value: number) => {
      sent.push(value);
    }, intervalMs);
    const startedAt = Date.now();
    for (let i = 0; i < 1_000; i += 1) {
      reporter.push(i);
      if (i % 4 === 3) await sleep(1);
    }
    await reporter.flush();
    const duration = Date.now() - startedAt;
    expect(sent[0]).toBe(0);
    expect(sent[sent.length - 1]).toBe(999);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(duration / intervalMs) + 1);
  });

  it('never sends concurrently and swallows errors through onError', async () => {
    let active = 0;
    let maxActive = 0;
    const sent: number[] = [];
    const errors: unknown[] = [];
    let release = (): void => {};
    const firstSendHeld = new Promise<void>((resolve) => (release = resolve));
    const reporter = coalesce(
      async (value: number) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        if (value === 1) await firstSendHeld;
        active -= 1;
        if (value === 1) throw new Error('GitHub is down');
        sent.push(value);
      },
      5,
      (error) => errors.push(error),
    );
    reporter.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(active).toBe(1);
    // While 1 is in flight, 2 waits and 3 replaces it: one send at a time, the latest value.
    reporter.push(2);
    reporter.push(3);
    release();
    await reporter.flush();
    expect(maxActive).toBe(1);
    expect(sent).toEqual([3]);
    expect(errors).toEqual([new Error('GitHub is down')]);
  });

  it('flush with nothing pending resolves at once', async () => {
    const reporter = coalesce(async () => {}, 1_000);
    await expect(reporter.flush()).resolves.toBeUndefined();
  });
});
