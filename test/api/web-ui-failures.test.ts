import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { finalState, startOrAttach } from '../../src/service/sprints';
import { packageWorkflowId } from '../../src/domain/ids';
import { freePort, startDevServer } from '../../src/runtime/dev-server';
import type { DevServer } from '../../src/runtime/dev-server';
import { workflowUrl } from '../../src/domain/web-ui';
import { launchChromium } from '../support/browser';
import { sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(60_000);

describe('a failed sprint in the Temporal Web UI', () => {
  let server: DevServer;
  let harness: Harness;
  let browser: Browser;

  beforeAll(async () => {
    server = await startDevServer({ uiPort: await freePort() });
    // The harness connects to the address the global setup published: point it at this server.
    const shared = process.env.SPRINTWAVE_TEST_TEMPORAL_ADDRESS;
    process.env.SPRINTWAVE_TEST_TEMPORAL_ADDRESS = server.address;
    try {
      harness = await startHarness();
    } finally {
      process.env.SPRINTWAVE_TEST_TEMPORAL_ADDRESS = shared;
    }
    browser = await launchChromium();
  });

  async function sprintStatusOf(id: string): Promise<{ run: string; attribute: unknown }> {
    const description = await harness.temporal.client.workflow.getHandle(id).describe();
    return { run: description.status.name, attribute: description.searchAttributes.SprintStatus };
  }

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await server?.stop();
  });

  it('shows a failed package and its sprint as Failed, and retry completes the sprint', async () => {
    const fixed = path.join(harness.sandbox.dir, 'fixed');
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        { id: 'WP01', title: 'Breaks', run: `test -f ${fixed} || (echo oops >&2 && exit 3)` },
        { id: 'WP02', title: 'Fine', run: 'echo ok > ok.txt' },
      ],
    });
    const { client } = harness.temporal;
    const failed = await (
      await harness.worker()
    ).runUntil(async () => {
      const { handle } = await startOrAttach(client, harness.config, { spec });
      await handle.result().catch(() => undefined);
      return finalState(handle);
    });
    expect(failed.status).toBe('failed');
    expect(await sprintStatusOf(spec.id)).toEqual({ run: 'FAILED', attribute: ['failed'] });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const badgeOf = async (workflowId: string): Promise<string> => {
      await page.goto(workflowUrl(server.uiUrl as string, server.namespace, workflowId));
      const badge = page.locator('[data-testid="execution-status"]').first();
      await badge.waitFor({ timeout: 20_000 });
      return (await badge.innerText()).trim();
    };
    expect(await badgeOf(packageWorkflowId(spec.id, 'WP01'))).toMatch(/^Failed$/i);
    // The failure's type and details are on the failed package's page.
    await page.getByText('PackageFailed').first().waitFor({ timeout: 20_000 });
    expect(await badgeOf(spec.id)).toMatch(/^Failed$/i);
    expect(await badgeOf(packageWorkflowId(spec.id, 'WP02'))).toMatch(/^Completed$/i);

    // What `sprintwave retry` does once the sprint ended: a new run from the failed run's state.
    await writeFile(fixed, '');
    const retried = await (
      await harness.worker()
    ).runUntil(async () => {
      const previous = await finalState(client.workflow.getHandle(spec.id));
      const input = { spec, resume: previous, retry: ['WP01'] };
      const { handle, started } = await startOrAttach(client, harness.config, input);
      expect(started).toBe(true);
      return handle.result();
    });
    expect(retried.status).toBe('completed');
    expect(await sprintStatusOf(spec.id)).toEqual({ run: 'COMPLETED', attribute: ['completed'] });
    expect(await badgeOf(spec.id)).toMatch(/^Completed$/i);
  });
});
