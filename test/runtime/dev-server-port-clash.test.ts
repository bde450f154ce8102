import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startDevServer } from '../../src/runtime/dev-server';
import type { DevServer } from '../../src/runtime/dev-server';

jest.setTimeout(120_000);

const CLASH = 'address already in use';

/** Another process holding `port`, as a test suite running beside this one would. */
async function holdPort(port: number): Promise<ChildProcess> {
  const holder = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('held'))`,
  ]);
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.stdout.once('data', () => resolve());
  });
  return holder;
}

async function release(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null || holder.signalCode !== null) return;
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  holder.kill('SIGKILL');
  await exited;
}

async function waitForLine(file: string, text: string): Promise<void> {
  while (!(existsSync(file) && readFileSync(file, 'utf8').includes(text))) await sleep(50);
}

describe('a dev server whose port another process holds', () => {
  let dir: string;
  let server: DevServer | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sprintwave-port-clash-'));
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('is started again once the port is free, on the port it was asked for', async () => {
    const port = await freePort();
    const holder = await holdPort(port);
    const logFile = join(dir, 'temporal.log');
    const starting = startDevServer({ port, uiPort: false, logFile, searchAttributes: false });
    // The first attempt fails on the held port; only then is the port let go.
    await waitForLine(logFile, CLASH);
    await release(holder);
    server = await starting;
    expect(server.address).toBe(`127.0.0.1:${port}`);
    expect(readFileSync(logFile, 'utf8')).toContain(CLASH);
  });

  it('gives up with the server output when the port stays taken', async () => {
    const port = await freePort();
    const holder = await holdPort(port);
    try {
      await expect(
        startDevServer({ port, uiPort: false, searchAttributes: false }),
      ).rejects.toThrow(CLASH);
    } finally {
      await release(holder);
    }
  });
});
