import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/runtime/dev-server';
import { devServerRecordFile, readDevServerRecord } from '../../src/runtime/dev-server-record';
import { groupAlive } from '../../src/runtime/process-group';
import { collect, runCli, spawnCli } from '../support/cli';
import type { CliRun } from '../support/cli';
import { makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';
import { testAddress } from '../support/temporal';

jest.setTimeout(60_000);

/** What `sprintwave api|worker|dev` promise: gone within 10 s of SIGTERM. */
const STOP_WITHIN_MS = 10_000;
/** Room for a loaded test machine; a process that does not stop at all fails just the same. */
const SLACK_MS = 15_000;

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await makeSandbox();
});

afterAll(async () => {
  await sandbox.cleanup();
});

/** A home of its own and free ports, so no embedded server meets another. */
async function freshEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  return {
    SPRINTWAVE_HOME: await mkdtemp(path.join(sandbox.dir, 'home-')),
    SPRINTWAVE_TEMPORAL_PORT: String(await freePort()),
    SPRINTWAVE_UI_PORT: String(await freePort()),
    SPRINTWAVE_API_PORT: String(await freePort()),
    ...extra,
  };
}

interface Started {
  child: ChildProcess;
  done: Promise<CliRun>;
  stdout(): string;
  stderr(): string;
}

function start(args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, done: collect(child), stdout: () => stdout, stderr: () => stderr };
}

async function until(test: () => boolean, what: string, process?: Started): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!test()) {
    if (process && process.child.exitCode !== null) {
      throw new Error(`exited before ${what}: ${process.stdout()}${process.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const since = Date.now();
  const value = await work;
  return { value, ms: Date.now() - since };
}

/** The pid (and process group) of the embedded dev server `home`'s process started. */
async function embeddedServer(home: string): Promise<number> {
  const record = await readDevServerRecord(home);
  if (!record) throw new Error(`no dev server record in ${home}`);
  return record.pid;
}

async function goneWithin(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
  return !groupAlive(pgid);
}

describe('start-up failures exit non-zero', () => {
  it.each(['api', 'dev'])(
    '`%s` on 0.0.0.0 without a token refuses before starting anything',
    async (mode) => {
      const env = await freshEnv({ SPRINTWAVE_API_HOST: '0.0.0.0' });
      const result = await runCli([mode], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('without a token: set SPRINTWAVE_API_TOKEN');
      expect(existsSync(devServerRecordFile(env.SPRINTWAVE_HOME as string))).toBe(false);
    },
  );

  it('an unknown SPRINTWAVE_LOG_LEVEL is bad input', async () => {
    const result = await runCli(['api'], await freshEnv({ SPRINTWAVE_LOG_LEVEL: 'loud' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SPRINTWAVE_LOG_LEVEL: must be one of trace, debug, info');
  });

  it('`api` with its port in use exits 1 and stops the dev server it started', async () => {
    const env = await freshEnv();
    const taken = net.createServer();
    await new Promise<void>((resolve) =>
      taken.listen(Number(env.SPRINTWAVE_API_PORT), '127.0.0.1', resolve),
    );
    try {
      const api = start(['api'], env);
      await until(() => api.stdout().includes('Temporal at'), 'the dev server', api);
      const server = await embeddedServer(env.SPRINTWAVE_HOME as string);
      const result = await api.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `Cannot serve the API on 127.0.0.1:${env.SPRINTWAVE_API_PORT}: the port is in use`,
      );
      expect(groupAlive(server)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('`worker` exits 1 when TEMPORAL_ADDRESS does not answer', async () => {
    const env = await freshEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    const result = await runCli(['worker'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Failed to connect before the deadline');
  });
});

describe('SIGTERM stops a started process in order and it exits 0', () => {
  it.each(['api', 'dev'])(
    '`%s`: exits within 10 s and leaves no dev server behind',
    async (mode) => {
      const env = await freshEnv();
      const serving = start([mode], env);
      await until(() => serving.stdout().includes('Ready.'), 'Ready.', serving);
      const server = await embeddedServer(env.SPRINTWAVE_HOME as string);
      const health = await fetch(`http://127.0.0.1:${env.SPRINTWAVE_API_PORT}/healthz`);
      expect(health.status).toBe(200);

      serving.child.kill('SIGTERM'); // the process alone, as `docker stop` does
      const { value: result, ms } = await timed(serving.done);
      expect(result.code).toBe(0);
      expect(ms).toBeLessThan(STOP_WITHIN_MS + SLACK_MS);
      expect(groupAlive(server)).toBe(false);
      expect(existsSync(devServerRecordFile(env.SPRINTWAVE_HOME as string))).toBe(false);
    },
  );
});

describe('the API logs', () => {
  it('a 500 with its request id, at info by default, and no Authorization header', async () => {
    const token = 'token-that-must-not-be-logged';
    const env = await freshEnv({
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_NAMESPACE: 'no-such-namespace', // every read fails on the server
      SPRINTWAVE_API_TOKEN: token,
    });
    const api = start(['api'], env);
    await until(() => api.stdout().includes('Ready.'), 'Ready.', api);
    const response = await fetch(`http://127.0.0.1:${env.SPRINTWAVE_API_PORT}/sprints`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(500);
    const id = response.headers.get('x-request-id') as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await response.json()) as { error: string }).error).toContain(`request ${id}`);
    api.child.kill('SIGTERM');
    const result = await api.done;
    expect(result.code).toBe(0);

    const lines = result.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ofRequest = lines.filter((line) => line.reqId === id);
    expect(ofRequest.map((line) => line.msg)).toEqual([
      'incoming request',
      'request failed',
      'request completed',
    ]);
    const failed = ofRequest.find((line) => line.msg === 'request failed');
    expect(failed?.level).toBe(50);
    expect(JSON.stringify(failed?.err)).toContain('no-such-namespace');
    expect(result.stderr).not.toContain(token);
    expect(result.stderr.toLowerCase()).not.toContain('bearer');
  });
});

describe('`run` interrupted while its command ignores SIGTERM', () => {
  /** A sprint whose only command writes its pid (its process group) and ignores SIGTERM. */
  async function stubbornSprint(id: string): Promise<{ file: string; marker: string }> {
    const marker = path.join(sandbox.dir, `${id}.pid`);
    const file = path.join(sandbox.dir, `${id}.yaml`);
    await writeFile(
      file,
      `id: ${id}\nrepo: ./repo\npackages:\n  - {id: A, title: a, run: 'trap "" TERM; echo $$ > ${marker}; while true; do sleep 0.2; done'}\n`,
    );
    return { file, marker };
  }

  async function started(id: string) {
    const { file, marker } = await stubbornSprint(id);
    const env = await freshEnv();
    const run = start(['run', file], env);
    await until(
      () => existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n'),
      'the command',
      run,
    );
    const command = Number(readFileSync(marker, 'utf8'));
    const server = await embeddedServer(env.SPRINTWAVE_HOME as string);
    return { run, command, server };
  }

  it('one Ctrl-C: it stops the worker and exits 130 within 10 s', async () => {
    const { run, command, server } = await started('stubborn-once');
    process.kill(-(run.child.pid as number), 'SIGINT'); // the terminal's whole group
    const { value: result, ms } = await timed(run.done);
    expect(result.code).toBe(130);
    expect(ms).toBeLessThan(STOP_WITHIN_MS + SLACK_MS);
    expect(result.stderr).toContain('run the same command again to attach');
    expect(result.stderr).toContain('error: Interrupted.');
    expect(groupAlive(command)).toBe(false);
    expect(groupAlive(server)).toBe(false);
  });

  it('a second Ctrl-C exits at once; the lifelines stop the command and the server', async () => {
    const { run, command, server } = await started('stubborn-twice');
    process.kill(-(run.child.pid as number), 'SIGINT');
    await until(() => run.stderr().includes('Stopping:'), 'the first stop', run);
    await sleep(300);
    process.kill(-(run.child.pid as number), 'SIGINT');
    const { value: result, ms } = await timed(run.done);
    expect(result.code).toBe(130);
    // Well before the 5 s a graceful stop gives the command that ignores SIGTERM.
    expect(ms).toBeLessThan(3_000);
    expect(result.stderr).toContain('Second SIGINT: exiting at once.');
    expect(await goneWithin(command, 5_000)).toBe(true);
    // SIGTERM from the server's lifeline, SIGKILL 10 s later if it is still there.
    expect(await goneWithin(server, 12_000)).toBe(true);
  });
});
