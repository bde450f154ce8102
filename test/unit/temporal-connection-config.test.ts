import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/runtime/config';
import {
  clientConnectionOptions,
  nativeConnectionOptions,
} from '../../src/runtime/connection-options';

describe('the Temporal connection from Temporal environment configuration', () => {
  let dir: string;
  let file: (name: string) => string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-envconfig-'));
    file = (name) => path.join(dir, name);
    await writeFile(file('ca.pem'), 'CA');
    await writeFile(file('client.pem'), 'CLIENT CERT');
    await writeFile(file('client.key'), 'CLIENT KEY');
    await writeFile(
      file('temporal.toml'),
      [
        '[profile.default]',
        'address = "default.example:7233"',
        '',
        '[profile.cloud]',
        'address = "ns.acct.tmprl.cloud:7233"',
        'namespace = "ns.acct"',
        'api_key = "key-from-profile"',
        '',
        '[profile.onprem]',
        'address = "temporal.internal:7233"',
        'namespace = "sprints"',
        '[profile.onprem.tls]',
        `server_ca_cert_path = "${file('ca.pem')}"`,
        'server_name = "temporal.internal"',
        `client_cert_path = "${file('client.pem')}"`,
        `client_key_path = "${file('client.key')}"`,
      ].join('\n'),
    );
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('without an address anywhere: the embedded dev server, namespace default, no TLS', () => {
    const { temporal } = loadConfig({});
    expect(temporal.address).toBeUndefined();
    expect(temporal.namespace).toBe('default');
    expect(temporal.connection).toEqual({});
  });

  it('TEMPORAL_TLS_* variables: a private CA and a server name', () => {
    const { temporal } = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(temporal.address).toBe('temporal.internal:7233');
    expect(temporal.connection.tls).toEqual({
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Buffer.from('CA'),
      clientCertPair: undefined,
    });
  });

  it('TEMPORAL_TLS=false turns TLS off; TEMPORAL_GRPC_META_* become headers', () => {
    const { temporal } = loadConfig({
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_TLS: 'false',
      TEMPORAL_GRPC_META_X_TENANT: 'blue',
    });
    expect(temporal.connection).toEqual({ tls: false, metadata: { 'x-tenant': 'blue' } });
  });

  it('a Temporal Cloud profile with an API key: TLS on, the namespace of the profile', () => {
    const { temporal } = loadConfig({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_PROFILE: 'cloud',
    });
    expect(temporal.address).toBe('ns.acct.tmprl.cloud:7233');
    expect(temporal.namespace).toBe('ns.acct');
    expect(temporal.connection).toEqual({ tls: true, apiKey: 'key-from-profile' });
  });

  it('an mTLS profile: CA, server name, client certificate and key', () => {
    const { temporal } = loadConfig({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_PROFILE: 'onprem',
    });
    expect(temporal.namespace).toBe('sprints');
    expect(temporal.connection.tls).toEqual({
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Buffer.from('CA'),
      clientCertPair: { crt: Buffer.from('CLIENT CERT'), key: Buffer.from('CLIENT KEY') },
    });
    const native = nativeConnectionOptions('temporal.internal:7233', temporal.connection);
    expect(native).toMatchObject({
      address: 'temporal.internal:7233',
      tls: temporal.connection.tls,
    });
    const client = clientConnectionOptions('temporal.internal:7233', temporal.connection);
    expect(client).toMatchObject({
      address: 'temporal.internal:7233',
      tls: temporal.connection.tls,
    });
  });

  it('the variables override the profile', () => {
    const { temporal } = loadConfig({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_ADDRESS: 'other:7233',
      TEMPORAL_NAMESPACE: 'elsewhere',
    });
    expect(temporal.address).toBe('other:7233');
    expect(temporal.namespace).toBe('elsewhere');
  });

  it('the default profile of the config file gives an address: no embedded server', () => {
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: file('temporal.toml') }).temporal.address).toBe(
      'default.example:7233',
    );
  });

  it('an empty variable counts as unset, as a compose file passes one on: the profile holds', () => {
    const { temporal } = loadConfig({
      TEMPORAL_CONFIG_FILE: file('temporal.toml'),
      TEMPORAL_PROFILE: 'onprem',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_NAMESPACE: '',
      TEMPORAL_API_KEY: '',
      // What docker-compose.yml passes on when its user set none of them.
      GITHUB_TOKEN: '',
      SPRINTWAVE_EVENTS_URL: '',
      SPRINTWAVE_SYNC_TOKEN: '',
      SPRINTWAVE_PAYLOAD_KEY: '',
    });
    expect(temporal.address).toBe('temporal.internal:7233');
    expect(temporal.namespace).toBe('sprints');
    expect(temporal.connection.apiKey).toBeUndefined();
  });

  it('a missing certificate file or profile fails start-up with one clear message', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('none.pem') })).toThrow(
      new ConfigError(
        `Invalid Temporal connection settings: ENOENT: no such file or directory, open '${file('none.pem')}'`,
      ),
    );
    expect(() =>
      loadConfig({ TEMPORAL_CONFIG_FILE: file('temporal.toml'), TEMPORAL_PROFILE: 'nope' }),
    ).toThrow("Invalid Temporal connection settings: Profile 'nope' not found in config data");
  });

  it('a malformed config file: its mistake and where, on one line', async () => {
    await writeFile(file('broken.toml'), '[profile.x]\naddress =\n');
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: file('broken.toml') })).toThrow(
      new ConfigError(
        'Invalid Temporal connection settings: Invalid TOML document: invalid value (line 2, column 10)',
      ),
    );
  });
});
