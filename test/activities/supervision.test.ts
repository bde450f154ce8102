import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runShellCommand } from '../../src/activities/executor';
import { helperPid } from '../../src/activities/spawner';
import { groupAlive } from '../../src/runtime/process-group';

jest.setTimeout(60_000);

const GONE_WITHIN = 20_000;

const STAND_IN = join(__dirname, '..', 'support', 'run-one-command.ts');

/** A long command that appends a line to `file` every 50 ms and writes its group to `pidFile`. */
function appending(file: string, pidFile: string): string {
  return `echo $$ > ${pidFile}; i=0; while [ $i -lt 1000 ]; do echo "line $i" >> ${file}; i=$((i+1)); sleep 0.05; done`;
}

async function waitFor<T>(read: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

/**
 * Whether the group went away before `GONE_WITHIN` ms: far longer than a loaded machine needs,
 * far shorter than the 50 s the appending command runs for when nothing stops it.
 */
async function gone(pgid: number): Promise<boolean> {
  const deadline = Date.now() + GONE_WITHIN;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(10);
  return !groupAlive(pgid);
}

function lines(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('a command dies with whatever supervises it', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'sprintwave-supervision-')));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the stand-in worker on an appending command; resolves once the command runs. */
  async function startWorker(name: string) {
    const file = join(dir, `${name}.log`);
    const pidFile = join(dir, `${name}.pid`);
    const worker = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', STAND_IN, appending(file, pidFile), dir],
      { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    let out = '';
    worker.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const helper = await waitFor(() => /running (\d+)/.exec(out)?.[1], 30_000).then(Number);
    const pgid = await waitFor(
      () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) || undefined : undefined),
      10_000,
    );
    await waitFor(() => (lines(file) >= 3 ? true : undefined), 10_000);
    return { worker, helper, pgid, file, exited };
  }

  it('kill -9 of the worker: the command is gone and writes no more', async () => {
    const { worker, pgid, file, exited } = await startWorker('worker-killed');
    worker.kill('SIGKILL');
    await exited;
    expect(await gone(pgid)).toBe(true);
    const written = lines(file);
    await sleep(300);
    expect(lines(file)).toBe(written);
  });

  it('kill -9 of the worker and its helper at once: the lifeline stops the command', async () => {
    const { worker, helper, pgid, exited } = await startWorker('both-killed');
    process.kill(helper, 'SIGKILL');
    worker.kill('SIGKILL');
    await exited;
    expect(await gone(pgid)).toBe(true);
  });

  it("Ctrl-C of the worker's process group: the command is stopped with the worker", async () => {
    const { worker, pgid, exited } = await startWorker('interrupted');
    if (!worker.pid) throw new Error('no worker process');
    process.kill(-worker.pid, 'SIGINT'); // what a terminal sends to the foreground group
    await exited;
    expect(await gone(pgid)).toBe(true);
  });

  it('a helper that dies while starting a command: the start is reported lost and nothing runs on', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const marker = join(dir, `race-${i}`);
      await runShellCommand({ command: 'true', cwd: dir }); // a helper is up
      const helper = helperPid();
      if (!helper) throw new Error('no helper process');
      const running = runShellCommand({ command: `sleep 0.4; echo ran >> ${marker}`, cwd: dir });
      // Kill the helper somewhere between the request and its answer.
      for (let spin = 0; spin < i % 5; spin++) await new Promise((r) => setImmediate(r));
      process.kill(helper, 'SIGKILL');
      const outcome = await running.then(
        (result) => `ran ${String(result.exitCode)}`,
        (error: Error) => error.message,
      );
      outcomes.push(outcome);
      if (outcome.startsWith('ran')) {
        expect(outcome).toBe('ran 0'); // not sent: run directly, once
        expect(lines(marker)).toBe(1);
      } else {
        expect(outcome).toMatch(/^Lost the command in .*: the helper process exited/);
      }
    }
    await sleep(800);
    for (let i = 0; i < 20; i++) {
      const ran = outcomes[i]?.startsWith('ran') ? 1 : 0;
      expect(lines(join(dir, `race-${i}`))).toBe(ran);
    }
    expect(outcomes.some((outcome) => outcome.startsWith('Lost the command'))).toBe(true);
  });
});
