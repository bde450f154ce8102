import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { loadConfig } from '../../src/runtime/config';
import { GZIP_ENCODING, GZIP_PLAIN_ABOVE_BYTES } from '../../src/runtime/payload-codec';
import { findTemporalCli } from '../../src/runtime/temporal-cli';
import { devEnv, runCli, startDev } from '../support/cli';
import type { DevProcess } from '../support/cli';
import { makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';
import { connectTestTemporal, testAddress } from '../support/temporal';
import type { TestTemporal } from '../support/temporal';

jest.setTimeout(180_000);

const TITLE = 'Rotate the launch codes';
const COMMAND = 'echo classified-7f3a > codes.txt';
const TOKEN = 'codec-test-token';

interface PayloadJson {
  metadata?: Record<string, string>;
  data?: string;
}

async function untilEnded(id: string, env: NodeJS.ProcessEnv): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const result = await runCli(['status', id, '--json'], env);
    const status = result.code === 0 ? (JSON.parse(result.stdout) as { status: string }) : null;
    if (status && status.status !== 'running') return status.status;
    if (Date.now() > deadline) throw new Error(`sprint ${id} did not end: ${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** The history as `temporal workflow show -o json` prints it: what anyone with access reads. */
async function shownHistory(
  workflowId: string,
  port: string,
  ...options: string[]
): Promise<string> {
  const { stdout } = await promisify(execFile)(findTemporalCli(), [
    ...options,
    'workflow',
    'show',
    '-w',
    workflowId,
    '--address',
    `127.0.0.1:${port}`,
    '-o',
    'json',
  ]);
  return stdout;
}

/** The data of every payload in a JSON history, as text. */
function payloadTexts(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  const payload = value as PayloadJson;
  if (payload.metadata && typeof payload.data === 'string') {
    return Buffer.from(payload.data, 'base64').toString();
  }
  return Object.values(value).map(payloadTexts).join('\n');
}

describe('a sprint with SPRINTWAVE_PAYLOAD_KEY set', () => {
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let dev: DevProcess;
  let api: string;

  beforeAll(async () => {
    sandbox = await makeSandbox();
    env = await devEnv(path.join(sandbox.dir, 'home'), {
      SPRINTWAVE_API_TOKEN: TOKEN,
      SPRINTWAVE_PAYLOAD_KEY: randomBytes(32).toString('hex'),
    });
    api = `http://127.0.0.1:${env.SPRINTWAVE_API_PORT}`;
    dev = await startDev(env);
  });

  afterAll(async () => {
    const result = await dev.stop();
    expect(result.code).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toContain(env.SPRINTWAVE_PAYLOAD_KEY);
    await sandbox.cleanup();
  });

  it('keeps the package out of the history, and shows it to sprintwave and the codec server', async () => {
    const file = path.join(sandbox.dir, 'secret.yaml');
    await writeFile(
      file,
      `id: secret\nrepo: ./repo\npackages:\n  - {id: A, title: ${TITLE}, run: '${COMMAND}'}\n`,
    );
    expect((await runCli(['start', file], env)).code).toBe(0);
    expect(await untilEnded('secret', env)).toBe('completed');

    for (const workflowId of ['secret', 'secret/A']) {
      const history = await shownHistory(workflowId, env.SPRINTWAVE_TEMPORAL_PORT as string);
      expect(history).toContain(Buffer.from('binary/encrypted').toString('base64'));
      expect(history).not.toContain(TITLE);
      expect(history).not.toContain('classified-7f3a');
      expect(history).not.toContain(env.SPRINTWAVE_PAYLOAD_KEY);
    }

    // The table has no titles; the status JSON has them, read back through the codec.
    const status = await runCli(['status', 'secret', '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).packages[0]).toMatchObject({ id: 'A', title: TITLE });

    const history = JSON.parse(
      await shownHistory('secret', env.SPRINTWAVE_TEMPORAL_PORT as string),
    );
    const input = history.events[0].workflowExecutionStartedEventAttributes.input
      .payloads[0] as PayloadJson;
    expect(Buffer.from(input.metadata?.encoding ?? '', 'base64').toString()).toBe(
      'binary/encrypted',
    );
    const decoded = await fetch(`${api}/codec/decode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [input] }),
    });
    expect(decoded.status).toBe(200);
    const { payloads } = (await decoded.json()) as { payloads: PayloadJson[] };
    expect(Buffer.from(payloads[0]?.metadata?.encoding ?? '', 'base64').toString()).toBe(
      'json/plain',
    );
    const sprint = JSON.parse(Buffer.from(payloads[0]?.data ?? '', 'base64').toString());
    expect(JSON.stringify(sprint)).toContain(TITLE);

    // The `temporal` CLI speaks the same protocol.
    const codec = ['--codec-endpoint', `${api}/codec`, '--codec-auth', `Bearer ${TOKEN}`];
    const port = env.SPRINTWAVE_TEMPORAL_PORT as string;
    const decodedHistory = await shownHistory('secret/A', port, ...codec);
    expect(decodedHistory).not.toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(payloadTexts(JSON.parse(decodedHistory))).toContain(TITLE);
  });

  it('retries a package of an ended sprint, whose sprint file it reads back through the codec', async () => {
    const fixed = path.join(sandbox.dir, 'fixed');
    const file = path.join(sandbox.dir, 'retry.yaml');
    await writeFile(
      file,
      `id: retry-secret\nrepo: ./repo\npackages:\n  - {id: A, title: ${TITLE}, run: 'test -f ${fixed} && echo a > a.txt'}\n`,
    );
    expect((await runCli(['run', file], env)).code).toBe(1);
    await writeFile(fixed, '');
    const retried = await runCli(['retry', 'retry-secret', 'A', '--json'], env);
    expect(retried.stderr).toContain('Sprint retry-secret resumed to retry A');
    expect(JSON.parse(retried.stdout).status).toBe('completed');
  });

  it('serves the codec to the Web UI: its endpoint, CORS for its origin, the bearer token', async () => {
    const ui = `http://127.0.0.1:${env.SPRINTWAVE_UI_PORT}`;
    const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as {
      Codec?: { Endpoint?: string };
    };
    expect(settings.Codec?.Endpoint).toBe(`${api}/codec`);

    const preflight = await fetch(`${api}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: ui,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');

    const anonymous = await fetch(`${api}/codec/decode`, {
      method: 'POST',
      headers: { origin: ui, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(ui);
  });
});

describe('the codec routes of the API', () => {
  let temporal: TestTemporal;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    temporal = await connectTestTemporal();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await temporal.close();
  });

  async function appWith(env: NodeJS.ProcessEnv): Promise<FastifyInstance> {
    const config = loadConfig({ TEMPORAL_ADDRESS: testAddress(), ...env });
    const app = await buildApp({ client: temporal.client, config });
    apps.push(app);
    return app;
  }

  it('without a payload key, gzip what is large and leave the rest as it is', async () => {
    const app = await appWith({});
    const json = (text: string) => ({
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from(text).toString('base64'),
    });
    const small = json('{"title":"T"}');
    const large = json(JSON.stringify({ packages: 'x'.repeat(GZIP_PLAIN_ABOVE_BYTES) }));
    const encoded = await app.inject({
      method: 'POST',
      url: '/codec/encode',
      payload: { payloads: [small, large] },
    });
    expect(encoded.statusCode).toBe(200);
    const [same, zipped] = encoded.json().payloads as PayloadJson[];
    expect(same).toEqual(small);
    expect(Buffer.from(zipped?.metadata?.encoding ?? '', 'base64').toString()).toBe(GZIP_ENCODING);
    expect((zipped?.data ?? '').length).toBeLessThan(large.data.length / 10);
    const decoded = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      payload: { payloads: [zipped, same] },
    });
    expect(decoded.json().payloads).toEqual([large, small]);
  });

  it('encode and decode back, and name a key id they do not hold', async () => {
    const app = await appWith({ SPRINTWAVE_PAYLOAD_KEY: randomBytes(32).toString('base64') });
    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('{"title":"T"}').toString('base64'),
    };
    const encoded = await app.inject({
      method: 'POST',
      url: '/codec/encode',
      payload: { payloads: [plain] },
    });
    expect(encoded.statusCode).toBe(200);
    const [sealed] = encoded.json().payloads as PayloadJson[];
    expect(sealed?.data).not.toBe(plain.data);
    const decoded = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      payload: { payloads: [sealed, plain] },
    });
    expect(decoded.json()).toEqual({ payloads: [plain, plain] });

    const other = await appWith({ SPRINTWAVE_PAYLOAD_KEY: randomBytes(32).toString('hex') });
    const refused = await other.inject({
      method: 'POST',
      url: '/codec/decode',
      payload: { payloads: [sealed] },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatch(
      /^Cannot decrypt a payload encrypted with key id "[0-9a-f]{8}"/,
    );
  });
});
