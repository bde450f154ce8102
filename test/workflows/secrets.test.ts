import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import { readQueue } from '../../src/activities/events';
import { buildApp } from '../../src/api/app';
import { loadConfig } from '../../src/runtime/config';
import type { Config } from '../../src/runtime/config';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { installTemporalLogging } from '../../src/runtime/logger';
import { createSprintWorker } from '../../src/runtime/worker';
import { outboxWorkflowId } from '../../src/domain/ids';
import { startEventReceiver } from '../support/event-receiver';
import type { EventReceiver } from '../support/event-receiver';
import { makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';
import { testAddress, testClient, uniqueId } from '../support/temporal';

jest.setTimeout(120_000);

const GITHUB_TOKEN = 'ghp_SecretGithub7f3a9c1e5b2d4f6a8c0e';
const SYNC_TOKEN = 'sync_SecretBackend4d2b8e6f0a1c3e5';
const API_TOKEN = 'api_SecretBearer9e1c3a5b7d0f2a4c';
const SECRETS = { GITHUB_TOKEN, SYNC_TOKEN, API_TOKEN };

function lineSink(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
}

// The worker's logs go where `sprintwave worker` sends them: the SDK's logger routed to pino.
const workerLog: string[] = [];
installTemporalLogging(pino({ level: 'trace' }, lineSink(workerLog)));

/** A secret as it would show in text, and base64-encoded at each of the three alignments. */
function forms(secret: string): string[] {
  const encoded = [0, 1, 2].map((pad) =>
    Buffer.from(`${'x'.repeat(pad)}${secret}`)
      .toString('base64')
      .slice(pad ? 4 : 0, -4),
  );
  return [secret, ...encoded];
}

/** The names of the secrets found in `text`. */
function leaks(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, secret]) => forms(secret).some((form) => text.includes(form)))
    .map(([name]) => name);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A history as JSON in which every byte field (payloads, their metadata, failure details) is
 * shown both as it travels (base64) and decoded, so a secret inside a payload is plain text.
 */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      const bytes = Buffer.from(value);
      return `${bytes.toString('base64')} ${bytes.toString('utf8')}`;
    }
    if (typeof value === 'string' && value.length >= 4 && BASE64.test(value)) {
      return `${value} ${Buffer.from(value, 'base64').toString('utf8')}`;
    }
    return value;
  });
}

/** Every file under `dir` but git's object store, as `path\ncontent`. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (file.includes(`${path.sep}objects${path.sep}`)) continue; // compressed; `git log -p` reads them
    out.push(`${file}\n${await readFile(file, 'latin1')}`);
  }
  return out;
}

describe('no secret in histories, logs, events, commits or comments', () => {
  let github: LocalGithub;
  let receiver: EventReceiver;
  let sandbox: Sandbox;
  let config: Readonly<Config>;
  let connection: Connection;
  let native: NativeConnection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  const apiLog: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    github = await startLocalGithub({ token: GITHUB_TOKEN });
    receiver = await startEventReceiver(SYNC_TOKEN);
    sandbox = await makeSandbox();
    const env = {
      GITHUB_TOKEN,
      GITHUB_API_URL: github.url,
      SPRINTWAVE_EVENTS_URL: receiver.url,
      SPRINTWAVE_SYNC_TOKEN: SYNC_TOKEN,
      SPRINTWAVE_TEAM_SLUG: 'acme',
      SPRINTWAVE_API_TOKEN: API_TOKEN,
    };
    // As on a real worker, the tokens are in the process environment, which git and the
    // packages' commands inherit, as well as in the config.
    Object.assign(process.env, env);
    config = loadConfig({
      ...env,
      SPRINTWAVE_HOME: path.join(sandbox.dir, 'home'),
      TEMPORAL_TASK_QUEUE: uniqueId('secrets'),
    });
    connection = await Connection.connect({ address: testAddress() });
    native = await NativeConnection.connect({ address: testAddress() });
    client = testClient(connection);
    worker = await createSprintWorker({
      connection: native,
      client,
      config,
      workflowBundle: { codePath: process.env.SPRINTWAVE_TEST_WORKFLOW_BUNDLE as string },
    });
    running = worker.run();
    app = await buildApp({ client, config, logger: { level: 'trace', stream: lineSink(apiLog) } });
  });

  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await connection?.close();
    await native?.close();
    await receiver?.close();
    await github?.close();
    await sandbox?.cleanup();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  const api = async (options: InjectOptions) => {
    const response = await app.inject({
      ...options,
      headers: { authorization: `Bearer ${API_TOKEN}`, ...options.headers },
    });
    return { status: response.statusCode, body: response.body, json: () => response.json() };
  };

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('runs a sprint through the API with GitHub, events and their failures, and leaks no token', async () => {
    const issue = github.createIssue('acme', 'widgets', 'Sprint');
    // Failures on the way, so the retry paths are in the histories too.
    github.fail({ status: 502, times: 1, match: { method: 'POST' } });
    receiver.failNext(1);
    const id = uniqueId('secrets');
    const spec = {
      id,
      title: 'Secrets stay secret',
      repo: sandbox.repo,
      packages: [
        {
          id: 'WP01',
          title: 'One',
          run: 'echo "::progress 1/2 halfway"; sleep 3; echo one > one.txt; echo "::progress 2/2"',
        },
        { id: 'WP02', title: 'Two', dependsOn: ['WP01'], run: 'echo two > two.txt' },
        { id: 'WP03', title: 'Broken', run: 'echo "something broke" >&2; exit 3' },
      ],
      integration: { checks: ['test -f one.txt'] },
      github: { repo: 'acme/widgets', issue, minInterval: '300ms' },
    };

    const refused = await app.inject({ method: 'POST', url: '/sprints', payload: spec });
    expect(refused.statusCode).toBe(401);
    const started = await api({ method: 'POST', url: '/sprints', payload: spec });
    expect(started.status).toBe(201);
    await until('the first events, while WP01 still runs', async () =>
      receiver.received.some((e) => e.sprint_id === id) ? true : undefined,
    );
    // Both go down until the sprint has ended: what is left goes to the outbox workflows.
    github.fail({ status: 503 });
    receiver.failNext(Number.MAX_SAFE_INTEGER);
    const final = await until('the sprint to end', async () => {
      const status = (await api({ method: 'GET', url: `/sprints/${id}` })).json();
      return status.status === 'running' ? undefined : status;
    });
    expect(final.status).toBe('failed');
    const report = await api({ method: 'GET', url: `/sprints/${id}/report` });
    expect(report.status).toBe(200);
    const queue = `TaskQueue = '${config.temporal.taskQueue}'`;
    const isOutbox = (workflowId: string) =>
      workflowId === outboxWorkflowId(id) || workflowId.startsWith(`events-outbox/${id}/`);
    const outboxes = await until('the outbox workflows', async () => {
      const ids: string[] = [];
      for await (const workflow of client.workflow.list({ query: queue })) {
        if (isOutbox(workflow.workflowId)) ids.push(workflow.workflowId);
      }
      return ids.length >= 2 ? ids : undefined;
    });
    github.clearFaults();
    receiver.failNext(0);

    // Everything delivered, by the sprint or by its outboxes, and every workflow closed.
    const comments = await until('the summary on GitHub', async () => {
      const all = github.comments('acme', 'widgets', issue);
      return all.some((c) => c.body.includes('Final Summary')) ? all : undefined;
    });
    await until('the last event at the backend', async () =>
      receiver.received.some((e) => e.sprint_id === id && e.event_type === 'SprintCompleted')
        ? true
        : undefined,
    );
    const workflowIds = await until('every workflow of the sprint to close', async () => {
      const ids: string[] = [];
      let open = 0;
      for await (const workflow of client.workflow.list({ query: queue })) {
        ids.push(workflow.workflowId);
        if (workflow.status.name === 'RUNNING') open++;
      }
      return open === 0 && ids.length >= 6 ? ids : undefined;
    });
    expect(workflowIds).toEqual(expect.arrayContaining(outboxes));

    // The tokens were used: the servers refuse requests without them.
    expect(github.requests.filter((r) => r.status >= 200 && r.status < 300).length).toBeGreaterThan(
      2,
    );
    expect(github.requests.every((r) => r.headers.authorization === '[redacted]')).toBe(true);
    expect(receiver.received.filter((e) => e.sprint_id === id).length).toBeGreaterThan(5);

    const histories: Record<string, string> = {};
    for (const workflowId of workflowIds) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      histories[workflowId] = historyText(history);
    }
    // Payloads are decoded, so a search of them means something.
    expect(histories[id]).toContain('acme/widgets');
    expect(histories[`${id}/WP03`]).toContain('something broke');
    expect(Object.keys(histories)).toEqual(
      expect.arrayContaining([id, `${id}/WP01`, `${id}/WP02`, `${id}/WP03`]),
    );

    const gitText = [
      await sandbox.git.raw(['log', '--all', '-p', '--format=fuller']),
      await sandbox.git.raw(['for-each-ref', '--format=%(refname) %(objectname)']),
      await sandbox.git.raw(['worktree', 'list', '--porcelain']),
    ].join('\n');
    expect(gitText).toContain(`refs/heads/sprintwave/${id}/WP01`);
    expect(gitText).toContain('+one');

    const events = [
      JSON.stringify(receiver.received),
      JSON.stringify(receiver.keys),
      JSON.stringify(await readQueue(config.home)),
    ].join('\n');
    expect(events).toContain('SprintCompleted');

    const files = [...(await filesUnder(config.home)), ...(await filesUnder(sandbox.repo))];
    expect(files.some((file) => file.includes('.sprintwave/config.yaml'))).toBe(true);

    const sources: Record<string, string> = {
      ...Object.fromEntries(Object.entries(histories).map(([wf, text]) => [`history ${wf}`, text])),
      'worker log': workerLog.join(''),
      'API log': apiLog.join(''),
      events,
      git: gitText,
      'files under the home and the repository': files.join('\n'),
      'GitHub comments': JSON.stringify(comments),
      'GitHub requests': JSON.stringify(github.requests),
      'API answers': [final, report.body].map((x) => JSON.stringify(x)).join('\n'),
    };
    // Each source holds what the sprint did, so an empty capture cannot pass for a clean one.
    expect(sources['worker log']).toContain(id);
    expect(sources['API log']).toContain(`/sprints/${id}`);
    expect(sources['GitHub comments']).toContain('| Package | Agent | Status | Files | Progress |');

    const found = Object.fromEntries(
      Object.entries(sources)
        .map(([source, text]) => [source, leaks(text)] as const)
        .filter(([, names]) => names.length > 0),
    );
    expect(found).toEqual({});
  });
});
