import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { collect, runCli, spawnCli } from '../support/cli';
import { startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress, uniqueId } from '../support/temporal';

jest.setTimeout(120_000);

const TOKEN = 'cli-watch-token';

async function until(test: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface CuttingProxy {
  url: string;
  /** The request head of every connection, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Forwards TCP to the API, and cuts the first stream connection after its first event. */
async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    let head: string | undefined;
    client.on('data', (chunk: Buffer) => {
      head ??= chunk.toString();
      if (requests.length === 0 || requests.at(-1) !== head) requests.push(head);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (!cut && head?.includes('/stream') && chunk.toString().includes('event: status')) {
        cut = true;
        client.destroy();
        upstream.destroy();
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('sprintwave watch, start, status, cancel and retry over the HTTP API', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    harness = await startHarness();
    worker = await harness.worker();
    running = worker.run();
    app = await buildApp({
      client: harness.temporal.client,
      config: { ...harness.config, api: { ...harness.config.api, token: TOKEN } },
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    env = {
      SPRINTWAVE_URL: url,
      SPRINTWAVE_API_TOKEN: TOKEN,
      SPRINTWAVE_HOME: path.join(harness.sandbox.dir, 'cli-home'),
      // Nothing listens there: every command must go through the API.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    };
  });

  afterAll(async () => {
    await app.close();
    worker.shutdown();
    await running;
    await harness.close();
  });

  /** Writes a sprint file next to the sandbox repository; returns its id and path. */
  async function sprintFile(packages: string[]): Promise<{ id: string; file: string }> {
    const id = uniqueId('watch');
    const file = path.join(harness.sandbox.dir, `${id}.sprint.yaml`);
    await writeFile(file, [`id: ${id}`, 'repo: ./repo', 'packages:', ...packages, ''].join('\n'));
    return { id, file };
  }

  const waitsFor = (marker: string) =>
    `    run: 'while [ ! -f ${marker} ]; do sleep 0.1; done; echo one > one.txt'`;

  it('starts a sprint, watches it live to the summary (exit 0) and reads its status', async () => {
    const marker = path.join(harness.sandbox.dir, uniqueId('release'));
    const { id, file } = await sprintFile([
      '  - id: WP01',
      '    title: Waits for a release',
      waitsFor(marker),
      "  - { id: WP02, title: After it, dependsOn: [WP01], run: 'echo two > two.txt' }",
    ]);
    const started = await runCli(['start', file], env);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`Sprint ${id} started.`);

    const watch = spawnCli(['watch', id], env);
    const watched = collect(watch);
    let stdout = '';
    watch.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await until(() => /WP01 🔄 In Progress/.test(stdout), 'WP01 in progress in the watch output');
    await writeFile(marker, '');
    const result = await watched;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d\d:\d\d:\d\d WP02 ⏳ Pending/m);
    expect(result.stdout).toMatch(/^\d\d:\d\d:\d\d WP02 ✅ Completed .*1\/1 files/m);
    expect(result.stdout).toContain('🎉 Final Summary: sprint completed');
    expect(result.stdout).toContain('- WP02: 1 file integrated');

    const json = await runCli(['status', id, '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id,
      status: 'completed',
      links: { self: `/sprints/${id}` },
    });
    const table = await runCli(['status', id], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\| WP02 \| sh \| ✅ Completed \| 1\/1 \| 100% \|/);
    expect(table.stdout).toContain('Status: completed');
  });

  it('exits 1 when the watched sprint fails, 2 for an unknown sprint', async () => {
    const { id, file } = await sprintFile(["  - { id: A, title: breaks, run: 'exit 4' }"]);
    expect((await runCli(['start', file], env)).code).toBe(0);
    const failed = await runCli(['watch', id], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('❌ Final Summary: sprint failed');
    expect(failed.stdout).toContain('A failed: `exit 4` exited with code 4');

    const json = await runCli(['watch', id, '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, status: 'failed' });

    // Without SPRINTWAVE_URL, watch asks Temporal itself.
    const direct: NodeJS.ProcessEnv = { ...env, TEMPORAL_ADDRESS: testAddress() };
    delete direct.SPRINTWAVE_URL;
    const overTemporal = await runCli(['watch', id], direct);
    expect(overTemporal.code).toBe(1);
    expect(overTemporal.stdout).toContain('❌ Final Summary: sprint failed');

    const unknown = await runCli(['watch', 'no-such-sprint'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: No sprint with id no-such-sprint.\n');
    const unknownStatus = await runCli(['status', 'no-such-sprint'], env);
    expect(unknownStatus.code).toBe(2);
    expect(unknownStatus.stderr).toContain('No sprint with id no-such-sprint.');
  });

  it('cancels through the API, and retries a failed package and follows it to the end', async () => {
    const marker = path.join(harness.sandbox.dir, uniqueId('never'));
    const { id, file } = await sprintFile([
      '  - id: WP01',
      '    title: Never released',
      waitsFor(marker),
    ]);
    expect((await runCli(['start', file], env)).code).toBe(0);
    const again = await runCli(['start', file], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Sprint ${id} is already running.`);
    const watch = spawnCli(['watch', id], env);
    const watched = collect(watch);
    let stdout = '';
    watch.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await until(() => /WP01 🔄 In Progress/.test(stdout), 'WP01 in progress');
    const cancel = await runCli(['cancel', id], env);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`Cancelling sprint ${id}`);
    const ended = await watched;
    expect(ended.code).toBe(1);
    expect(ended.stdout).toContain('🚫 Final Summary: sprint cancelled');
    const twice = await runCli(['cancel', id], env);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(`error: Sprint ${id} is not running.\n`);

    const fixed = path.join(harness.sandbox.dir, uniqueId('fixed'));
    const flaky = await sprintFile([
      `  - { id: WP01, title: Flaky, run: 'test -f ${fixed} && echo ok > ok.txt' }`,
    ]);
    expect((await runCli(['start', flaky.file], env)).code).toBe(0);
    expect((await runCli(['watch', flaky.id], env)).code).toBe(1);
    const unknownWp = await runCli(['retry', flaky.id, 'WP09'], env);
    expect(unknownWp.code).toBe(2);
    expect(unknownWp.stderr).toContain(`WP09 is not a package of sprint ${flaky.id}.`);
    await writeFile(fixed, '');
    const retried = await runCli(['retry', flaky.id, 'WP01'], env);
    expect(retried.stderr).toContain(`Retrying WP01 in sprint ${flaky.id}.`);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('🎉 Final Summary: sprint completed');
  });

  it('needs the API token: a wrong one is a clear 401; invalid input shows the API issues', async () => {
    const wrong = await runCli(['status', 'anything'], { ...env, SPRINTWAVE_API_TOKEN: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      'error: A valid bearer token is required. Set SPRINTWAVE_API_TOKEN to the API token.\n',
    );
    const missing = { ...env };
    delete missing.SPRINTWAVE_API_TOKEN;
    const watch = await runCli(['watch', 'anything'], missing);
    expect(watch.code).toBe(1);
    expect(watch.stderr).toContain('A valid bearer token is required.');

    const { file } = await sprintFile(["  - { id: WP01, title: One, run: 'true' }"]);
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('repo: ./repo', 'repo: ./nowhere'),
    );
    const invalid = await runCli(['start', file], env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /^error: Invalid sprint:\n {2}repo: \S+nowhere does not exist\n$/,
    );

    const down = await runCli(['status', 'anything'], {
      ...env,
      SPRINTWAVE_URL: 'http://127.0.0.1:1',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Cannot reach the sprintwave API at http://127.0.0.1:1');
  });

  it('resumes a dropped stream with Last-Event-ID', async () => {
    const proxy = await startCuttingProxy(env.SPRINTWAVE_URL as string);
    try {
      const marker = path.join(harness.sandbox.dir, uniqueId('release'));
      const { id, file } = await sprintFile(['  - id: WP01', '    title: Waits', waitsFor(marker)]);
      expect((await runCli(['start', file], env)).code).toBe(0);
      const watch = spawnCli(['watch', id], { ...env, SPRINTWAVE_URL: proxy.url });
      const watched = collect(watch);
      const streams = () => proxy.requests.filter((head) => head.includes(`/sprints/${id}/stream`));
      await until(() => streams().length >= 2, 'a second stream request');
      await writeFile(marker, '');
      const result = await watched;
      expect(result.stderr).toMatch(/The stream of sprint \S+ broke \(.*\); resuming \(1\/5\)\./);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('🎉 Final Summary: sprint completed');
      const [first, second] = streams();
      expect(first).not.toMatch(/^last-event-id:/im);
      expect(second).toMatch(/^last-event-id: \S+\r$/im);
    } finally {
      await proxy.close();
    }
  });
});
