import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { runCli } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { testAddress, uniqueId } from '../support/temporal';

jest.setTimeout(60_000);

const UI = 'http://ui.example.test:8080';

interface Run {
  code: number;
  out: string;
  err: string;
}

/** The CLI in this process, against the test dev server, with a Web UI and an allowed list. */
describe('sprintwave start, run and status: Web UI links and SPRINTWAVE_ALLOWED_COMMANDS', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;
  const env: NodeJS.ProcessEnv = {};

  async function cli(...args: string[]): Promise<Run> {
    const run = { out: '', err: '' };
    const io: CliIO = {
      out: (text) => void (run.out += `${text}\n`),
      err: (text) => void (run.err += `${text}\n`),
      isTTY: false,
    };
    const code = await runCli(['node', 'sprintwave', ...args], io);
    return { code, ...run };
  }

  async function sprintFile(
    name: string,
    packages: string[],
  ): Promise<{ id: string; file: string }> {
    const id = uniqueId(name);
    const file = path.join(harness.sandbox.dir, `${id}.sprint.yaml`);
    await writeFile(file, [`id: ${id}`, 'repo: ./repo', 'packages:', ...packages].join('\n'));
    return { id, file };
  }

  beforeAll(async () => {
    harness = await startHarness();
    Object.assign(env, {
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_TASK_QUEUE: harness.taskQueue,
      SPRINTWAVE_HOME: harness.config.home,
      TEMPORAL_UI_URL: UI,
      SPRINTWAVE_ALLOWED_COMMANDS: 'echo,true',
    });
    Object.assign(process.env, env);
    delete process.env.SPRINTWAVE_URL; // straight to Temporal, not through an HTTP API
    worker = await harness.worker();
    running = worker.run();
  });

  afterAll(async () => {
    for (const name of Object.keys(env)) delete process.env[name];
    worker.shutdown();
    await running;
    await harness.close();
  });

  it('`start` and `run` exit 2 naming each command the list does not allow; nothing starts', async () => {
    const { id, file } = await sprintFile('refused', [
      '  - { id: WP01, title: One, run: "echo one > one.txt" }',
      '  - { id: WP02, title: Two, run: "echo two && rm -rf /" }',
      'integration:',
      '  checks: ["npm test"]',
    ]);
    const expected =
      `error: Sprint ${id} was not started:\n` +
      '  packages[1].run: runs "rm", which SPRINTWAVE_ALLOWED_COMMANDS (echo, true) does not allow\n' +
      '  integration.checks[0]: runs "npm", which SPRINTWAVE_ALLOWED_COMMANDS (echo, true) does not allow\n';
    for (const command of ['start', 'run']) {
      const result = await cli(command, file);
      expect([command, result.code, result.err]).toEqual([command, 2, expected]);
    }
    await expect(harness.temporal.client.workflow.getHandle(id).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );
  });

  it('`run` without TEMPORAL_ADDRESS refuses such a sprint before starting a dev server', async () => {
    const { id, file } = await sprintFile('refused-local', [
      '  - { id: WP01, title: One, run: "rm -rf build" }',
    ]);
    delete process.env.TEMPORAL_ADDRESS;
    try {
      const result = await cli('run', file);
      expect(result).toEqual({
        code: 2,
        out: '',
        err:
          `error: Sprint ${id} was not started:\n` +
          '  packages[0].run: runs "rm", which SPRINTWAVE_ALLOWED_COMMANDS (echo, true) does not allow\n',
      });
    } finally {
      process.env.TEMPORAL_ADDRESS = env.TEMPORAL_ADDRESS;
    }
  });

  it('`start` prints the sprint’s Web UI page; `status` prints it and each package’s', async () => {
    const { id, file } = await sprintFile('linked', [
      '  - { id: WP01, title: One, run: "echo one > one.txt" }',
      '  - { id: WP02, title: Two, dependsOn: [WP01], run: "echo two > two.txt" }',
    ]);
    const page = (workflowId: string) =>
      `${UI}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;

    const started = await cli('start', file);
    expect(started.code).toBe(0);
    expect(started.out).toContain(`Web UI: ${page(id)}\n`);
    await harness.temporal.client.workflow.getHandle(id).result();

    const status = await cli('status', id);
    expect(status.code).toBe(0);
    expect(status.out).toContain('Status: completed');
    expect(status.out).toContain(
      [
        `Web UI: ${page(id)}`,
        `  WP01: ${UI}/namespaces/default/workflows/${id}%2FWP01`,
        `  WP02: ${page(`${id}/WP02`)}`,
      ].join('\n'),
    );

    const json = await cli('status', id, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).links).toEqual({
      webUi: page(id),
      packages: { WP01: page(`${id}/WP01`), WP02: page(`${id}/WP02`) },
    });
  });
});
