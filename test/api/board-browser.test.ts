import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../src/api/app';
import { launchChromium, PNG_SIGNATURE } from '../support/browser';
import { sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { uniqueId } from '../support/temporal';

jest.setTimeout(90_000);

const TOKEN = 'board-browser-token';
/** How long after the API shows a change the board may take to show it. */
const LIVE_MS = 2_000;

interface BoardElements {
  cards: Array<{ wp: string; status: string; badge: string; bar: string; branch: string }>;
  sprintBar: boolean;
  sprintStatus: string;
  lanes: string[];
  /** How much wider than the window the page is; 0 or less: no horizontal scrolling. */
  overflow: number;
}

interface PackageJson {
  id: string;
  status: string;
}

describe('the sprint board in headless Chromium', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let shots: string;
  const problems: string[] = [];

  beforeAll(async () => {
    shots = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-board-'));
    harness = await startHarness();
    worker = await harness.worker();
    running = worker.run();
    app = await buildApp({
      client: harness.temporal.client,
      config: { ...harness.config, api: { ...harness.config.api, token: TOKEN } },
      stream: { pollMs: 200 },
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    worker?.shutdown();
    await running;
    await harness?.close();
    if (shots && process.env.BOARD_KEEP_SCREENSHOTS !== '1') await rm(shots, { recursive: true });
  });

  async function openPage(width: number, height: number): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.route(
      (url) => url.origin !== base,
      (route) => route.abort(),
    );
    return page;
  }

  async function packagesOf(id: string): Promise<PackageJson[]> {
    const response = await fetch(`${base}/sprints/${id}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (!response.ok) return [];
    return ((await response.json()) as { packages: PackageJson[] }).packages;
  }

  /** Polls the API until `wp` has `status`; the moment it did. */
  async function apiShows(id: string, wp: string, status: string): Promise<number> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const found = (await packagesOf(id)).find((p) => p.id === wp);
      if (found?.status === status) return Date.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${wp} never became ${status} in the API`);
  }

  const card = (page: Page, wp: string) => page.locator(`article.card[data-wp="${wp}"]`);

  async function shoot(page: Page, name: string): Promise<string> {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const png = await readFile(file);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(10_000);
    if (process.env.BOARD_KEEP_SCREENSHOTS === '1') process.stdout.write(`screenshot: ${file}\n`);
    return file;
  }

  /** The key elements of a board, read from the DOM (a string: these types have no DOM library). */
  async function boardElements(page: Page): Promise<BoardElements> {
    return page.evaluate<BoardElements>(`(() => ({
      cards: Array.from(document.querySelectorAll('article.card')).map((el) => ({
        wp: el.dataset.wp,
        status: el.dataset.status,
        badge: el.querySelector('.status')?.textContent,
        bar: el.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow'),
        branch: el.querySelector('.branch')?.textContent,
      })),
      sprintBar: document.querySelector('#sprint-header [role="progressbar"]') !== null,
      sprintStatus: document.querySelector('#sprint-header .status')?.textContent,
      lanes: Array.from(document.querySelectorAll('.lane h3')).map((el) => el.textContent),
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    }))()`);
  }

  it('follows a running sprint live, shows a failure with its output, and fits desktop and phone', async () => {
    const marker = path.join(harness.sandbox.dir, uniqueId('release'));
    const spec = sprint(harness.sandbox.repo, {
      title: 'Board sprint',
      packages: [
        {
          id: 'WP01',
          title: 'Waits for a file',
          tasks: [
            { id: 'T001', title: 'First' },
            { id: 'T002', title: 'Second' },
          ],
          run: `echo '::done T001'; while [ ! -f ${marker} ]; do sleep 0.1; done; echo one > one.txt`,
        },
        {
          id: 'WP02',
          title: 'Breaks',
          run: 'echo first-line; echo "the-last-words" >&2; exit 3',
        },
        { id: 'WP03', title: 'After the wait', dependsOn: ['WP01'], run: 'echo three > three.txt' },
      ],
    });
    await startSprint(harness, { spec });

    const desktop = await openPage(1280, 800);
    await desktop.goto(`${base}/sprints/${spec.id}/board#token=${TOKEN}`);
    // The token leaves the address bar once read.
    expect(new URL(desktop.url()).hash).toBe('');

    await card(desktop, 'WP01').and(desktop.locator('[data-status="in_progress"]')).waitFor();
    const failed = card(desktop, 'WP02').and(desktop.locator('[data-status="failed"]'));
    await failed.waitFor({ timeout: 30_000 });
    const output = await failed.locator('pre.output').innerText();
    expect(output).toContain('the-last-words');
    expect(await failed.locator('.status').innerText()).toBe('failed');
    await card(desktop, 'WP01').locator('.tasks li[data-done="true"]').waitFor();
    expect(await card(desktop, 'WP01').locator('.tasks li').allInnerTexts()).toEqual([
      '☑ T001',
      '☐ T002',
    ]);

    const atDesktop = await boardElements(desktop);
    expect(atDesktop.lanes).toEqual(['Wave 1', 'Wave 2']);
    expect(atDesktop.sprintBar).toBe(true);
    expect(atDesktop.sprintStatus).toBe('running');
    expect(atDesktop.cards.map((c) => [c.wp, c.status, c.badge])).toEqual([
      ['WP01', 'in_progress', 'in progress'],
      ['WP02', 'failed', 'failed'],
      ['WP03', 'pending', 'pending'],
    ]);
    expect(atDesktop.cards.every((c) => c.bar !== undefined && c.branch)).toBe(true);
    expect(await desktop.locator('#sprint-header h1').innerText()).toBe('Board sprint');
    expect(await desktop.locator('#elapsed').innerText()).toMatch(/^\d+(s|m \d+s)$/);
    const desktopShot = await shoot(desktop, 'board-desktop');

    const phone = await openPage(390, 844);
    // The token stays in this tab only: a new page needs it again.
    await phone.goto(`${base}/sprints/${spec.id}/board#token=${TOKEN}`);
    await card(phone, 'WP02').locator('pre.output').waitFor();
    const atPhone = await boardElements(phone);
    expect(atPhone.cards.map((c) => c.wp)).toEqual(['WP01', 'WP02', 'WP03']);
    expect(atPhone.sprintBar).toBe(true);
    expect(atPhone.overflow).toBeLessThanOrEqual(0);
    const phoneShot = await shoot(phone, 'board-phone');

    // The change reaches the board within LIVE_MS of the API showing it.
    await writeFile(marker, '');
    await apiShows(spec.id, 'WP01', 'completed');
    await card(desktop, 'WP01')
      .and(desktop.locator('[data-status="completed"]'))
      .waitFor({ timeout: LIVE_MS });
    await card(phone, 'WP01')
      .and(phone.locator('[data-status="completed"]'))
      .waitFor({ timeout: LIVE_MS });
    const completed = await boardElements(desktop);
    expect(completed.cards.find((c) => c.wp === 'WP01')).toMatchObject({ bar: '100' });

    // The sprint ends failed (WP02), after WP03 and the integration.
    await desktop.locator('#sprint-header[data-status="failed"]').waitFor({ timeout: 30_000 });
    await desktop.locator('#connection[data-state="ended"]').waitFor();
    expect(await desktop.locator('#integration').count()).toBe(1);
    await shoot(desktop, 'board-desktop-ended');
    expect(problems).toEqual([]);
    expect([desktopShot, phoneShot].every((file) => file.startsWith(shots))).toBe(true);
  });

  it('shows a conflict the merge rehearsal predicts while the sprint still runs', async () => {
    const gate = path.join(harness.sandbox.dir, uniqueId('gate'));
    const spec = sprint(harness.sandbox.repo, {
      title: 'Conflicting sprint',
      packages: [
        { id: 'WP01', title: 'One', run: "sed -i 's/^value=.*/value=1/' shared.txt" },
        { id: 'WP02', title: 'Two', run: "sed -i 's/^value=.*/value=2/' shared.txt" },
        {
          id: 'WP03',
          title: 'Holds the sprint open',
          run: `while [ ! -f ${gate} ]; do sleep 0.1; done; echo three > three.txt`,
        },
      ],
    });
    await startSprint(harness, { spec });
    const page = await openPage(390, 844);
    await page.goto(`${base}/sprints/${spec.id}/board#token=${TOKEN}`);
    const warning = page.locator('#predicted-conflicts li[data-wp="WP02"]');
    await warning.waitFor({ timeout: 30_000 });
    expect(await warning.locator('.with').innerText()).toBe('WP01');
    expect(await warning.locator('.files').innerText()).toBe('shared.txt');
    expect(await page.locator('#sprint-header').getAttribute('data-status')).toBe('running');
    expect(await page.locator('#integration').count()).toBe(0);
    expect((await boardElements(page)).overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'board-phone-predicted-conflict');

    // Once the final merge decided, its result replaces the prediction.
    await writeFile(gate, '');
    await page.locator('#integration #conflicts li[data-wp="WP02"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#predicted-conflicts').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('lists the sprints at / with links to their boards, keeping the token in the tab', async () => {
    const spec = sprint(harness.sandbox.repo, {
      strategy: 'eager',
      scope: 'mvp',
      packages: [
        { id: 'WP01', title: 'Base', mvp: true, run: 'echo base > base.txt' },
        { id: 'WP02', title: 'On top', mvp: true, dependsOn: ['WP01'], run: 'echo top > top.txt' },
        { id: 'WP03', title: 'Nice to have', run: 'echo later > later.txt' },
      ],
    });
    await startSprint(harness, { spec });
    const page = await openPage(390, 844);
    await page.goto(`${base}/#token=${TOKEN}`);
    const row = page.locator(`#sprints tr[data-sprint="${spec.id}"]`);
    await row.waitFor();
    await row.locator('a').click();
    await page.waitForURL(`${base}/sprints/${spec.id}/board`);
    await card(page, 'WP02').waitFor();
    // Eager sprints are laid out by dependency depth; a deferred package is listed with why.
    const board = await boardElements(page);
    expect(board.lanes).toEqual(['Depth 0', 'Depth 1']);
    expect(board.cards.map((c) => c.wp)).toEqual(['WP01', 'WP02']);
    expect(await page.locator('#deferred li[data-wp="WP03"]').innerText()).toContain(
      'outside the MVP scope',
    );
    expect(board.overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'sprints-phone-board');
    expect(problems).toEqual([]);
  });

  it('asks for the token, and shows no sprint, when the page has none or a wrong one', async () => {
    const page = await openPage(1280, 800);
    await page.goto(`${base}/sprints/anything/board`);
    await page.locator('#token-form').waitFor();
    expect(await page.locator('article.card').count()).toBe(0);

    await page.goto(`${base}/#token=wrong`);
    await page.locator('#token-form').waitFor();
    await page.locator('#token-form input').fill(TOKEN);
    await page.locator('#token-form button').click();
    await page.locator('#sprints').waitFor();
    // The 401s above are the browser's own console errors for refused fetches.
    problems.length = 0;
  });
});
