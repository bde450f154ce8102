import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { collect, runCli, spawnCli } from '../support/cli';
import { makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';
import { testAddress, uniqueId } from '../support/temporal';
import { makeCertificates, startTlsProxy } from '../support/tls-proxy';
import type { TestCertificates, TlsProxy } from '../support/tls-proxy';

jest.setTimeout(120_000);

describe('sprintwave through TLS with a private CA', () => {
  let certs: TestCertificates;
  let otherCa: TestCertificates;
  let proxy: TlsProxy;
  let sandbox: Sandbox;

  beforeAll(async () => {
    [certs, otherCa, sandbox] = await Promise.all([
      makeCertificates(),
      makeCertificates(),
      makeSandbox(),
    ]);
    proxy = await startTlsProxy(testAddress(), certs);
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all(
      [certs.dir, otherCa.dir].map((dir) => rm(dir, { recursive: true, force: true })),
    );
    await sandbox.cleanup();
  });

  /** A home and task queue of its own, and a sprint file of one package. */
  async function sprintSetup(): Promise<{ env: NodeJS.ProcessEnv; file: string; id: string }> {
    const home = await mkdtemp(path.join(sandbox.dir, 'home-'));
    const id = uniqueId('tls');
    const file = path.join(home, 'sprint.yaml');
    await writeFile(
      file,
      [
        `id: ${id}`,
        `repo: ${sandbox.repo}`,
        'packages:',
        '  - { id: WP01, title: Write, run: "echo secured > secured.txt" }',
      ].join('\n'),
    );
    return { env: { SPRINTWAVE_HOME: home, TEMPORAL_TASK_QUEUE: uniqueId('tls-queue') }, file, id };
  }

  /** `sprintwave worker` and `sprintwave run` with `env`: the run's outcome. */
  async function runWithWorker(env: NodeJS.ProcessEnv, file: string) {
    const worker = spawnCli(['worker'], env);
    const stopped = collect(worker);
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        worker.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Ready.')) resolve();
        });
        void stopped.then((result) =>
          reject(new Error(`the worker exited ${result.code}: ${result.stderr}`)),
        );
      });
      return await runCli(['run', file, '--json'], env);
    } finally {
      worker.kill('SIGTERM');
      expect((await stopped).code).toBe(0);
    }
  }

  it('runs a sprint with the CA set only by TEMPORAL_TLS_* variables', async () => {
    const { env, file, id } = await sprintSetup();
    const result = await runWithWorker(
      {
        ...env,
        TEMPORAL_ADDRESS: proxy.address,
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath,
        TEMPORAL_TLS_SERVER_NAME: certs.serverName,
      },
      file,
    );
    expect(result.stderr).toContain(`Sprint ${id} started.`);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id, status: 'completed' });
  });

  it('runs a sprint from a profile of a temporal.toml (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE)', async () => {
    const { env, file, id } = await sprintSetup();
    const configFile = path.join(env.SPRINTWAVE_HOME as string, 'temporal.toml');
    await writeFile(
      configFile,
      [
        '[profile.secured]',
        `address = "${proxy.address}"`,
        'namespace = "default"',
        '',
        '[profile.secured.tls]',
        `server_ca_cert_path = "${certs.caPath}"`,
        `server_name = "${certs.serverName}"`,
      ].join('\n'),
    );
    const result = await runWithWorker(
      { ...env, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'secured' },
      file,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id, status: 'completed' });
  });

  it('a CA that did not sign the server certificate: one line naming the TLS problem, exit 1', async () => {
    const { env, file } = await sprintSetup();
    const result = await runCli(['run', file], {
      ...env,
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: otherCa.caPath,
      TEMPORAL_TLS_SERVER_NAME: certs.serverName,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: Cannot connect to Temporal at ${proxy.address}: TLS handshake failed: .+ ` +
            `\\(the server certificate is not signed by the CA of TEMPORAL_TLS_SERVER_CA_CERT_PATH`,
        ),
      ),
    ]);
  });

  it('a server name the certificate does not hold: one line saying so', async () => {
    const { env } = await sprintSetup();
    const result = await runCli(['status', 'no-such-sprint'], {
      ...env,
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath,
      TEMPORAL_TLS_SERVER_NAME: 'elsewhere.test',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringContaining('set TEMPORAL_TLS_SERVER_NAME to a name the certificate holds'),
    ]);
  });
});
