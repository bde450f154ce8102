import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/runtime/config';
import { freePort } from '../../src/runtime/dev-server';
import { processStat } from '../../src/runtime/process-group';
import { openTemporal } from '../../src/runtime/temporal';

jest.setTimeout(60_000);

const OPENER = join(__dirname, '..', 'support', 'open-embedded-server.ts');

/** Not exited: a zombie waiting for pid 1 to reap it has. */
function running(pid: number): boolean {
  const stat = processStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Whether `pid` exits within `ms`: bounds for a loaded machine, not for how fast it goes. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (running(pid) && Date.now() < deadline) await sleep(20);
  return !running(pid);
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('the embedded dev server lives and dies with the process that started it', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  const openers: ChildProcess[] = [];

  beforeAll(async () => {
    home = await realpath(await mkdtemp(join(tmpdir(), 'sprintwave-dev-server-')));
    port = await freePort();
    const clean = { ...process.env };
    delete clean.TEMPORAL_ADDRESS;
    env = {
      ...clean,
      SPRINTWAVE_HOME: home,
      SPRINTWAVE_TEMPORAL_PORT: String(port),
      SPRINTWAVE_UI_PORT: String(await freePort()),
    };
  });

  afterAll(async () => {
    for (const opener of openers) opener.kill('SIGKILL'); // their lifelines stop their servers
    await rm(home, { recursive: true, force: true });
  });

  /** Starts the stand-in `sprintwave run`; resolves with its server's pid once that serves. */
  async function startOpener() {
    const opener = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', OPENER], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    openers.push(opener);
    const exited = new Promise<void>((resolve) => opener.once('exit', () => resolve()));
    let out = '';
    opener.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    opener.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const deadline = Date.now() + 30_000;
    let match: RegExpExecArray | null;
    while (!(match = /server (\d+)/.exec(out))) {
      if (opener.exitCode !== null || Date.now() > deadline) {
        throw new Error(`The opener did not start a server:\n${out}`);
      }
      await sleep(20);
    }
    return { opener, serverPid: Number(match[1]), exited };
  }

  it('kill -9 of its starter: the server goes and its output is in its log', async () => {
    const { opener, serverPid, exited } = await startOpener();
    expect(running(serverPid)).toBe(true);
    expect(readJson(join(home, 'dev-server.json'))).toMatchObject({
      pid: serverPid,
      ownerPid: opener.pid,
      port,
    });

    opener.kill('SIGKILL');
    await exited;
    expect(await goneWithin(serverPid, 30_000)).toBe(true);
    const log = readFileSync(join(home, 'logs', 'temporal.log'), 'utf8');
    expect(log).toContain(`Temporal Server:      localhost:${port}`);
  });

  it('a start after kill -9 of the starter replaces the stopping server instead of attaching to it', async () => {
    const { opener, serverPid, exited } = await startOpener();
    opener.kill('SIGKILL');
    await exited;
    expect(running(serverPid)).toBe(true); // still shutting down

    const session = await openTemporal(loadConfig(env));
    const server = session.server;
    try {
      expect(server?.pid).toEqual(expect.any(Number));
      expect(server?.pid).not.toBe(serverPid);
      expect(running(serverPid)).toBe(false);
      expect(session.address).toBe(`127.0.0.1:${port}`);
      const info = await session.connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
      expect(readJson(join(home, 'dev-server.json'))).toMatchObject({
        pid: server?.pid,
        ownerPid: process.pid,
        port,
      });

      // Its owner runs: another command attaches, and leaves the record alone when it closes.
      const attached = await openTemporal(loadConfig(env));
      expect(attached.server).toBeUndefined();
      await attached.connection.workflowService.getSystemInfo({});
      await attached.close();
      expect(existsSync(join(home, 'dev-server.json'))).toBe(true);
    } finally {
      await session.close();
    }
    expect(running(server?.pid ?? 0)).toBe(false);
    expect(existsSync(join(home, 'dev-server.json'))).toBe(false);
  });

  it('a server that cannot start reports its own output', async () => {
    const taken = await freePort();
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    const otherHome = join(home, 'port-taken');
    try {
      const opening = openTemporal(
        loadConfig({
          ...env,
          SPRINTWAVE_HOME: otherHome,
          SPRINTWAVE_TEMPORAL_PORT: String(taken),
          SPRINTWAVE_UI_PORT: String(await freePort()),
        }),
      );
      await expect(opening).rejects.toThrow(
        new RegExp(`exited with 1:\\n[^]*${taken}: bind: address already in use`),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(existsSync(join(otherHome, 'dev-server.json'))).toBe(false);
  });
});
