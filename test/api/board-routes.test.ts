import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { BOARD_CSP } from '../../src/api/board/routes';
import { loadConfig } from '../../src/runtime/config';
import { connectTestTemporal } from '../support/temporal';
import type { TestTemporal } from '../support/temporal';

const TOKEN = 'board-routes-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const PAGES = ['/', '/sprints/some-sprint/board'];

describe('the board routes', () => {
  let temporal: TestTemporal;
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-board-routes-'));
    temporal = await connectTestTemporal();
    const config = loadConfig({ SPRINTWAVE_HOME: path.join(dir, 'home') });
    app = await buildApp({
      client: temporal.client,
      config: { ...config, api: { ...config.api, token: TOKEN } },
    });
  });

  afterAll(async () => {
    await app?.close();
    await temporal?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(PAGES)(
    'serves %s as HTML with the token, under a policy that forbids inline scripts',
    async (url) => {
      const response = await app.inject({ method: 'GET', url, headers: AUTH });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toBe(BOARD_CSP);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      // Every script is a file of this origin; no inline code, handlers or styles.
      expect(response.body).toContain('<script src="/board/board.js" defer></script>');
      expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(response.body).not.toMatch(/\son[a-z]+=|\sstyle=/i);
    },
  );

  it.each(PAGES)(
    'serves the shell of %s without the token, holding no data, while the data it reads needs it',
    async (url) => {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-security-policy']).toBe(BOARD_CSP);
      expect(response.body).not.toContain(TOKEN);
      expect(response.body).not.toContain('some-sprint');
    },
  );

  it('answers 401 without the token for what the pages read, and 200 with it', async () => {
    for (const url of ['/sprints', '/sprints/some-sprint', '/sprints/some-sprint/stream']) {
      const anonymous = await app.inject({ method: 'GET', url });
      expect({ url, status: anonymous.statusCode }).toEqual({ url, status: 401 });
    }
    const listed = await app.inject({ method: 'GET', url: '/sprints', headers: AUTH });
    expect(listed.statusCode).toBe(200);
    const wrong = await app.inject({
      method: 'GET',
      url: '/sprints',
      headers: { authorization: 'Bearer not-it' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('serves the script and the stylesheet with their types and the same policy', async () => {
    const script = await app.inject({ method: 'GET', url: '/board/board.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['content-security-policy']).toBe(BOARD_CSP);
    expect(() => new Function(script.body)).not.toThrow();
    const style = await app.inject({ method: 'GET', url: '/board/board.css' });
    expect(style.statusCode).toBe(200);
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('keeps everything else behind the token: a path that only looks like a board is not public', async () => {
    for (const url of ['/sprints/x/board/extra', '/board/other.js', '/docs/json']) {
      const response = await app.inject({ method: 'GET', url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 401 });
    }
  });

  it('documents the pages in the OpenAPI document, not their assets', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/json', headers: AUTH });
    const paths = Object.keys((response.json() as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(expect.arrayContaining(['/', '/sprints/{id}/board']));
    expect(paths.filter((p) => p.startsWith('/board/'))).toEqual([]);
  });
});
