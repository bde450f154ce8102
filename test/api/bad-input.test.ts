import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { BODY_LIMIT, buildApp } from '../../src/api/app';
import { aliasBomb, mutatedText, sprintShaped, yamlish } from '../support/bad-sprints';
import { startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(120_000);

interface Answer {
  status: number;
  body: { error?: unknown; issues?: Array<{ path?: unknown; message?: unknown }> } & Record<
    string,
    unknown
  >;
}

const jsonSafe = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? value.toString() : value;

/**
 * Bad sprint files sent to `POST /plan` and `POST /sprints`: every answer is a 2xx or a 4xx,
 * never a 5xx, and every rejection lists issues that each name a path and say what is wrong.
 */
describe('bad input over HTTP', () => {
  let harness: Harness;
  let app: FastifyInstance;
  const logged: string[] = [];
  const statuses = new Map<number, number>();
  let cases = 0;

  beforeAll(async () => {
    harness = await startHarness();
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    // A high rate limit: these tests send hundreds of requests from one address.
    app = await buildApp({
      client: harness.temporal.client,
      config: harness.config,
      logger: { level: 'error', stream },
      rateLimit: 100_000,
    });
  });

  afterAll(async () => {
    await app.close();
    await harness.close();
  });

  async function send(options: InjectOptions): Promise<Answer> {
    cases++;
    const response = await app.inject(options);
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    let body: Answer['body'];
    try {
      body = response.json();
    } catch {
      throw new Error(
        `${response.statusCode} answered with a body that is not JSON: ${response.body.slice(0, 200)}`,
      );
    }
    const answer = { status: response.statusCode, body };
    if (answer.status >= 500) throw new Error(`a ${answer.status}: ${response.body.slice(0, 300)}`);
    if (answer.status >= 400) assertNamedIssues(answer);
    return answer;
  }

  function assertNamedIssues(answer: Answer): void {
    const { issues, error } = answer.body;
    if (typeof error !== 'string' || error === '')
      throw new Error(`no error message: ${JSON.stringify(answer)}`);
    if (!Array.isArray(issues) || issues.length === 0) {
      throw new Error(`a ${answer.status} without issues: ${JSON.stringify(answer.body)}`);
    }
    for (const issue of issues) {
      const named =
        typeof issue.path === 'string' &&
        issue.path.trim() !== '' &&
        typeof issue.message === 'string' &&
        issue.message.trim() !== '';
      if (!named) throw new Error(`an issue without path or message: ${JSON.stringify(issue)}`);
    }
  }

  const postJson = (url: string, value: unknown) =>
    send({
      method: 'POST',
      url,
      payload: JSON.stringify(value, jsonSafe) ?? 'null',
      headers: { 'content-type': 'application/json' },
    });
  const postYaml = (url: string, text: string) =>
    send({ method: 'POST', url, payload: text, headers: { 'content-type': 'application/yaml' } });

  async function property<T>(
    arbitrary: fc.Arbitrary<T>,
    numRuns: number,
    run: (value: T) => Promise<unknown>,
  ) {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => void (await run(value))),
      {
        numRuns,
      },
    );
  }

  it('POST /plan: sprint-shaped JSON gets a plan or named issues', async () => {
    let planned = 0;
    await property(sprintShaped, 250, async (value) => {
      const answer = await postJson('/plan', value);
      if (answer.status === 200) {
        expect(answer.body.waves).toEqual(expect.any(Array));
        planned++;
      } else expect(answer.status).toBe(400);
    });
    expect(planned).toBeGreaterThan(5);
  });

  it('POST /plan: broken YAML, alias bombs and YAML punctuation get named issues', async () => {
    const texts = fc.oneof(
      mutatedText,
      aliasBomb.map((bomb) => bomb.text),
      fc.string({ unit: yamlish, maxLength: 200 }),
    );
    await property(texts, 200, async (text) => {
      const answer = await postYaml('/plan', text);
      expect([200, 400]).toContain(answer.status);
    });
  });

  it('POST /plan: bodies that are not JSON, prototype keys, empty or wrong types of body', async () => {
    const raw = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.json().map((text) => text.slice(0, Math.max(1, text.length - 1))),
      fc.constantFrom(
        '',
        '{"__proto__": {"polluted": true}, "id": "x", "repo": "/tmp/r", "packages": []}',
        '{"constructor": {"prototype": {"polluted": true}}}',
        '[]',
        'null',
        '"a string"',
        '1e400',
        '{"id": "x", "id": "y"}',
        `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      ),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/yaml',
      'text/plain',
      'application/x-www-form-urlencoded',
    );
    await property(fc.tuple(raw, contentType), 150, async ([payload, type]) => {
      const answer = await send({
        method: 'POST',
        url: '/plan',
        payload,
        headers: { 'content-type': type },
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('POST /plan: a body over the limit is refused with a named issue', async () => {
    const answer = await postJson('/plan', {
      id: 'big',
      repo: '/tmp/r',
      title: 'x'.repeat(BODY_LIMIT),
    });
    expect(answer.status).toBe(413);
  });

  it('POST /sprints: nothing starts for a bad sprint file or a repository that will not do', async () => {
    const notARepo = path.join(harness.sandbox.dir, 'not-a-repo');
    await mkdir(notARepo, { recursive: true });
    const repos = fc.constantFrom(
      path.join(harness.sandbox.dir, 'missing'),
      notARepo,
      'relative/repo',
      path.join(harness.sandbox.repo, 'README.md'),
    );
    const accepted = new Set<string>();
    await property(fc.tuple(sprintShaped, repos), 150, async ([value, repo]) => {
      const answer = await postJson('/sprints', { ...value, repo });
      expect(answer.status).toBe(400);
      const paths = (answer.body.issues ?? []).map((issue) => issue.path);
      if (paths.every((p) => p === 'repo')) accepted.add(String(value.id));
    });
    // Sprints the schema and the graph accepted were stopped by the repository check.
    expect(accepted.size).toBeGreaterThan(0);

    const wrongBase = await postJson('/sprints', {
      id: 'bad-base',
      repo: harness.sandbox.repo,
      base: 'no-such-branch',
      packages: [{ id: 'WP01', title: 'One', run: 'true' }],
    });
    expect(wrongBase.body.issues).toEqual([
      {
        path: 'base',
        message: `no-such-branch is not a branch or commit of ${harness.sandbox.repo}`,
      },
    ]);
    const list = harness.temporal.client.workflow.list({
      query: `TaskQueue = '${harness.taskQueue}'`,
    });
    for await (const workflow of list) throw new Error(`${workflow.workflowId} was started`);
  });

  it('POST /sprints: values that pass a glance but would break the run are refused, naming the path', async () => {
    const sprintWith = (extra: Record<string, unknown>, wp: Record<string, unknown> = {}) => ({
      id: 'bounded',
      repo: harness.sandbox.repo,
      packages: [{ id: 'WP01', title: 'One', run: 'true', ...wp }],
      ...extra,
    });
    const refused: Array<[unknown, string, RegExp]> = [
      [sprintWith({}, { timeout: '25d' }), 'packages[0].timeout', /^must be at most 24d/],
      [
        sprintWith({ deadline: '8h' }, { estimate: '100000000d' }),
        'packages[0].estimate',
        /^must be at most 3652500d \(10,000 years\)/,
      ],
      [
        sprintWith({ integration: { branch: 'bad name..x' } }),
        'integration.branch',
        /^bad name\.\.x is not a valid git branch name: contains a space$/,
      ],
      [
        sprintWith({ integration: { branch: '-D' } }),
        'integration.branch',
        /^-D is not a valid git branch name: starts with '-'/,
      ],
      [
        sprintWith({
          packages: [
            { id: 'WP01', title: 'One', run: 'true' },
            { id: 'wp01', title: 'Two', run: 'true' },
          ],
        }),
        'packages[1].id',
        /^wp01 differs from WP01 \(packages\[0\]\) only in case/,
      ],
    ];
    for (const [sprint, where, message] of refused) {
      const answer = await postJson('/sprints', sprint);
      expect(answer.status).toBe(400);
      expect(answer.body.issues).toEqual([
        { path: where, message: expect.stringMatching(message) },
      ]);
    }
    const list = harness.temporal.client.workflow.list({
      query: `TaskQueue = '${harness.taskQueue}'`,
    });
    for await (const workflow of list) throw new Error(`${workflow.workflowId} was started`);
  });

  it('POST /schedules: an interval past 10,000 years is a 400 naming every; Temporal takes one at it', async () => {
    const id = `every-bound-${Date.now()}`;
    const sprint = {
      id: 'bounded',
      repo: harness.sandbox.repo,
      packages: [{ id: 'WP01', title: 'One', run: 'true' }],
    };
    const past = await postJson('/schedules', { id, every: '3652501d', sprint });
    expect(past.status).toBe(400);
    expect(past.body.issues).toEqual([
      {
        path: 'every',
        message: 'must be at most 3652500d (10,000 years): Temporal refuses a longer interval',
      },
    ]);
    const at = await postJson('/schedules', { id, every: '3652500d', sprint });
    expect(at.status).toBe(201);
    expect((await app.inject({ method: 'DELETE', url: `/schedules/${id}` })).statusCode).toBe(204);
  });

  it('repeats 80 characters of a 900 KB id, and names YAML nested too deeply', async () => {
    const id = 'W'.repeat(900_000);
    const answer = await postJson('/plan', {
      id: 'big-id',
      repo: '/tmp/r',
      packages: [{ id, title: 't', run: 'x' }],
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body).length).toBeLessThan(400);
    expect(answer.body.issues).toEqual([
      {
        path: 'packages[0].id',
        message: `${'W'.repeat(80)}… (900000 characters) is not usable as a branch or folder name: is longer than 64 characters`,
      },
    ]);
    const deep = await postYaml(
      '/plan',
      `id: s\nrepo: /r\npackages: ${'['.repeat(1_000)}${']'.repeat(1_000)}\n`,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.issues).toEqual([
      {
        path: expect.stringMatching(/^body:3:\d+$/),
        message: 'is nested too deeply: lists and maps may nest at most 100 levels deep',
      },
    ]);
  });

  it('414, 404 and 429 answers say what happened, in bounded text', async () => {
    const long = await app.inject({ method: 'GET', url: `/sprints/${'x'.repeat(101)}` });
    expect(long.statusCode).toBe(414);
    expect(long.statusMessage).toBe('URI Too Long');
    expect(long.json()).toEqual({
      error: 'URI Too Long: the path has a part longer than 100 characters.',
      issues: [{ path: 'url', message: 'has a part longer than 100 characters' }],
    });
    expect(
      (await app.inject({ method: 'GET', url: `/sprints/${'x'.repeat(100)}` })).statusCode,
    ).not.toBe(414);

    const missing = await app.inject({ method: 'GET', url: `/nothing-${'y'.repeat(300_000)}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe(
      `No route GET /nothing-${'y'.repeat(71)}… (300009 characters).`,
    );

    const limited = await buildApp({
      client: harness.temporal.client,
      config: harness.config,
      rateLimit: 2,
    });
    try {
      const plan = () =>
        limited.inject({
          method: 'POST',
          url: '/plan',
          payload: '{}',
          headers: { 'content-type': 'application/json' },
        });
      expect((await plan()).statusCode).toBe(400);
      expect((await plan()).statusCode).toBe(400);
      const refused = await plan();
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error).toMatch(
        /^Too many requests: at most 2 a minute; try again in \d+ (seconds?|minute)\.$/,
      );
    } finally {
      await limited.close();
    }
  });

  it('never logged a failed request, and went through some hundreds of requests', () => {
    expect(logged.filter((line) => line.includes('request failed'))).toEqual([]);
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    expect(cases).toBeGreaterThanOrEqual(700);
  });
});
