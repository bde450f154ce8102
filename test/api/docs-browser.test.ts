import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../src/api/app';
import { loadConfig } from '../../src/runtime/config';
import { launchChromium, PNG_SIGNATURE } from '../support/browser';
import { connectTestTemporal } from '../support/temporal';
import type { TestTemporal } from '../support/temporal';

jest.setTimeout(60_000);

interface OpenApi {
  info: { title: string };
  paths: Record<string, Record<string, unknown>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** `POST /sprints/{id}/cancel` for every operation the OpenAPI document describes. */
function documentedOperations(spec: OpenApi): string[] {
  return Object.entries(spec.paths)
    .flatMap(([route, operations]) =>
      Object.keys(operations)
        .filter((method) => METHODS.includes(method))
        .map((method) => `${method.toUpperCase()} ${route}`),
    )
    .sort();
}

/** The operations Swagger UI drew: one block per operation, method and path as shown. */
async function renderedOperations(page: Page): Promise<string[]> {
  const blocks = page.locator('.opblock .opblock-summary');
  const count = await blocks.count();
  const shown: string[] = [];
  for (let i = 0; i < count; i++) {
    const block = blocks.nth(i);
    const method = (await block.locator('.opblock-summary-method').innerText()).trim();
    const route = (await block.locator('.opblock-summary-path').innerText()).replace(/\u200b/g, '');
    shown.push(`${method.toUpperCase()} ${route.trim()}`);
  }
  return shown.sort();
}

describe('Swagger UI at /docs in headless Chromium', () => {
  let temporal: TestTemporal;
  let app: FastifyInstance;
  let browser: Browser;
  let baseUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-docs-'));
    temporal = await connectTestTemporal();
    app = await buildApp({
      client: temporal.client,
      config: loadConfig({ SPRINTWAVE_HOME: path.join(dir, 'home') }),
    });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await temporal?.close();
    if (dir && process.env.DOCS_KEEP_SCREENSHOT !== '1') await rm(dir, { recursive: true });
  });

  it('renders every route of the OpenAPI document, with all its assets loaded', async () => {
    const spec = (await (await fetch(`${baseUrl}/docs/json`)).json()) as OpenApi;
    const expected = documentedOperations(spec);
    expect(expected).toEqual(
      expect.arrayContaining(['GET /sprints/{id}', 'POST /plan', 'GET /healthz']),
    );

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const loaded: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) =>
      problems.push(`failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`),
    );
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
      else loaded.push(new URL(response.url()).pathname);
    });
    // Loopback only: anything else (a validator badge, a font) would need the internet.
    await page.route(
      (url) => url.origin !== baseUrl,
      (route) => route.abort(),
    );

    await page.goto(`${baseUrl}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });

    expect(await page.locator('.info .title').innerText()).toContain('sprintwave');
    expect(await renderedOperations(page)).toEqual(expected);
    expect(loaded).toEqual(
      expect.arrayContaining([
        '/docs/static/swagger-ui-bundle.js',
        '/docs/static/swagger-ui-standalone-preset.js',
        '/docs/static/swagger-ui.css',
        '/docs/json',
      ]),
    );
    expect(problems).toEqual([]);

    const screenshot = path.join(dir, 'docs.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    const png = await readFile(screenshot);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(20_000);
    if (process.env.DOCS_KEEP_SCREENSHOT === '1')
      process.stdout.write(`screenshot: ${screenshot}\n`);
  });
});
