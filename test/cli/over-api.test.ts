import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import type { CliIO } from '../../src/cli/io';
import { runCli } from '../../src/cli/main';
import { startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { uniqueId } from '../support/temporal';

/** `status` and `watch` in this process, through SPRINTWAVE_URL: they show what the API answers. */
describe('sprintwave status and watch over the HTTP API', () => {
  let harness: Harness;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;

  async function cli(...args: string[]) {
    const run = { out: '', err: '' };
    const io: CliIO = {
      out: (text) => void (run.out += `${text}\n`),
      err: (text) => void (run.err += `${text}\n`),
      isTTY: false,
    };
    const code = await runCli(['node', 'sprintwave', ...args], io);
    return { code, ...run };
  }

  beforeAll(async () => {
    harness = await startHarness();
    app = await buildApp({ client: harness.temporal.client, config: harness.config });
    await app.listen({ host: '127.0.0.1', port: 0 });
    process.env.SPRINTWAVE_URL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    worker = await harness.worker();
    running = worker.run();
  });

  afterAll(async () => {
    delete process.env.SPRINTWAVE_URL;
    worker.shutdown();
    await running;
    await app.close();
    await harness.close();
  });

  it('watches a sprint to its report, then shows its table and status', async () => {
    const id = uniqueId('over-api');
    const started = await app.inject({
      method: 'POST',
      url: '/sprints',
      payload: {
        id,
        repo: harness.sandbox.repo,
        packages: [
          { id: 'WP01', title: 'one', run: 'echo one > one.txt' },
          { id: 'WP02', title: 'two', run: 'exit 3', dependsOn: ['WP01'] },
        ],
      },
    });
    expect(started.statusCode).toBe(201);

    const watched = await cli('watch', id);
    expect(watched.code).toBe(1);
    expect(watched.out).toMatch(/^\d\d:\d\d:\d\d WP01 ✅ Completed \(sh\) 1\/1 files/m);
    expect(watched.out).toMatch(/^\d\d:\d\d:\d\d WP02 ❌ Failed \(sh\)/m);
    expect(watched.out).toContain('❌ Final Summary: sprint failed');
    expect(watched.out).toContain('- WP01: 1 file integrated');

    const status = await cli('status', id);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/\| WP01 \| sh \| ✅ Completed \| 1\/1 \| 100% \|/);
    expect(status.out).toContain('Status: failed');
  });
});
