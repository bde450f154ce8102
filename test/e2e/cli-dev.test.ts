import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { devEnv, runCli, startDev } from '../support/cli';
import type { DevProcess } from '../support/cli';
import { makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

jest.setTimeout(180_000);

async function statusOf(
  id: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: string; packages: { id: string; status: string; attempt: number }[] }> {
  const result = await runCli(['status', id, '--json'], env);
  if (result.code !== 0) throw new Error(`status failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function untilStatus(
  id: string,
  env: NodeJS.ProcessEnv,
  wanted: (s: Awaited<ReturnType<typeof statusOf>>) => boolean,
) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await statusOf(id, env).catch(() => undefined);
    if (status && wanted(status)) return status;
    if (Date.now() > deadline)
      throw new Error(`sprint ${id} never reached the expected state: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('sprintwave dev with start, status, cancel and retry', () => {
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let dev: DevProcess;

  beforeAll(async () => {
    sandbox = await makeSandbox();
    env = await devEnv(path.join(sandbox.dir, 'home'));
    dev = await startDev(env);
    expect(dev.output()).toMatch(/Temporal Web UI: http:\/\/127\.0\.0\.1:\d+/);
    const health = await fetch(`http://127.0.0.1:${env.SPRINTWAVE_API_PORT}/healthz`);
    expect(await health.json()).toEqual({ ok: true, temporal: 'up' });
  });

  afterAll(async () => {
    const result = await dev.stop();
    expect(result.code).toBe(0);
    await sandbox.cleanup();
  });

  it('start returns at once and the dev worker runs the sprint to completion', async () => {
    const file = path.join(sandbox.dir, 'started.yaml');
    await writeFile(
      file,
      "id: started\nrepo: ./repo\npackages:\n  - {id: A, title: a, run: 'echo a > a.txt'}\n",
    );
    const started = await runCli(['start', file], env);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('Sprint started started.');
    expect(started.stdout).toMatch(
      /Web UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/started/,
    );
    const done = await untilStatus('started', env, (s) => s.status !== 'running');
    expect(done.status).toBe('completed');
  });

  it('cancel stops a running sprint', async () => {
    const file = path.join(sandbox.dir, 'long.yaml');
    await writeFile(
      file,
      "id: long\nrepo: ./repo\npackages:\n  - {id: A, title: a, run: 'sleep 60'}\n",
    );
    expect((await runCli(['start', file], env)).code).toBe(0);
    await untilStatus('long', env, (s) => s.packages[0]?.status === 'in_progress');
    const cancelled = await runCli(['cancel', 'long'], env);
    expect(cancelled.code).toBe(0);
    const done = await untilStatus('long', env, (s) => s.status !== 'running');
    expect(done.status).toBe('cancelled');
    expect((await runCli(['cancel', 'long'], env)).code).toBe(2);
  });

  it('retry runs a failed package of an ended sprint again and follows it', async () => {
    const fixed = path.join(sandbox.dir, 'fixed');
    const file = path.join(sandbox.dir, 'retry.yaml');
    await writeFile(
      file,
      `id: retry-me\nrepo: ./repo\npackages:\n  - {id: A, title: a, run: 'test -f ${fixed} && echo a > fixed-a.txt'}\n  - {id: B, title: b, dependsOn: [A], run: 'echo b > b.txt'}\n`,
    );
    const first = await runCli(['run', file], env);
    expect(first.code).toBe(1);
    expect((await runCli(['retry', 'retry-me', 'B'], env)).stderr).toMatch(
      /B is blocked|only a failed/,
    );
    await writeFile(fixed, '');
    const retried = await runCli(['retry', 'retry-me', 'A', '--json'], env);
    expect(retried.code).toBe(0);
    const status = JSON.parse(retried.stdout);
    expect(status.status).toBe('completed');
    expect(status.packages.find((wp: { id: string }) => wp.id === 'A')).toMatchObject({
      status: 'completed',
      attempt: 2,
    });
    expect((await runCli(['retry', 'retry-me', 'A'], env)).code).toBe(2);
  });

  it('status of an unknown sprint exits 2', async () => {
    const result = await runCli(['status', 'no-such-sprint'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No sprint with id no-such-sprint');
  });
});
