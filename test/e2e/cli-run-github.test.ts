import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../src/runtime/dev-server';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { GITHUB_DELIVERY_WAIT_MS } from '../../src/cli/follow';
import { collect, runCli, spawnCli } from '../support/cli';
import { makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

jest.setTimeout(90_000);

const TOKEN = 'ghp_clirungithub1234567890';

async function until(test: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `sprintwave run` runs the only worker: it must see the sprint's GitHub delivery through. */
describe('sprintwave run with a github section on the embedded dev server', () => {
  let sandbox: Sandbox;
  let github: LocalGithub;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    sandbox = await makeSandbox();
    github = await startLocalGithub({ token: TOKEN });
    env = {
      SPRINTWAVE_HOME: path.join(sandbox.dir, 'home'),
      SPRINTWAVE_TEMPORAL_PORT: String(await freePort()),
      SPRINTWAVE_UI_PORT: String(await freePort()),
      SPRINTWAVE_API_PORT: String(await freePort()),
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: TOKEN,
    };
  });

  beforeEach(() => {
    github.clearFaults();
    github.up();
  });

  afterAll(async () => {
    await github.close();
    await sandbox.cleanup();
  });

  async function sprintFile(id: string, issue: number, run: string): Promise<string> {
    const file = path.join(sandbox.dir, `${id}.sprint.yaml`);
    await writeFile(
      file,
      [
        `id: ${id}`,
        'repo: ./repo',
        'github:',
        '  repo: acme/widgets',
        `  issue: ${issue}`,
        '  minInterval: 200ms',
        'packages:',
        '  - id: WP01',
        '    title: One',
        `    run: '${run}'`,
        '',
      ].join('\n'),
    );
    return file;
  }

  it('exits 0 with the final table and the summary already on the issue', async () => {
    const issue = github.createIssue('acme', 'widgets', 'Sprint');
    const file = await sprintFile('delivered', issue, 'echo one > one.txt');
    // Slow edits: the summary is posted only after the final table's edit, so a `run` that
    // left with the sprint would always strand it.
    github.fail({ delayMs: 1_500, match: { method: 'PATCH' } });
    const result = await runCli(['run', file], env);

    expect(result.code).toBe(0);
    const comments = github.comments('acme', 'widgets', issue);
    expect(comments).toHaveLength(2);
    expect(comments[0]?.body).toContain('| WP01 |');
    expect(comments[0]?.body).toContain('✅ Completed');
    expect(comments[0]?.body).toContain('**Overall:** 100%');
    expect(comments[1]?.body).toContain('Final Summary: sprint completed');
    expect(result.stderr).not.toContain('Still queued');
  });

  it('with GitHub down at the end, waits its bounded time, names what is queued, and the next `dev` delivers it', async () => {
    const issue = github.createIssue('acme', 'widgets', 'Sprint');
    const release = path.join(sandbox.dir, 'release');
    const file = await sprintFile(
      'stranded',
      issue,
      `while [ ! -f ${release} ]; do sleep 0.1; done; echo one > one.txt`,
    );
    const child = spawnCli(['run', file], env);
    let summaryAt = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!summaryAt && chunk.toString().includes('Final Summary')) summaryAt = Date.now();
    });
    const done = collect(child);
    await until(() => github.comments('acme', 'widgets', issue).length === 1, 'the first table');
    github.down();
    await writeFile(release, '');
    const result = await done;
    const exitedAt = Date.now();

    expect(result.code).toBe(0);
    expect(summaryAt).toBeGreaterThan(0);
    // It waited for GitHub (half the wait: the summary may reach us late on a loaded machine),
    // then gave up: it exited while GitHub was still down.
    expect(exitedAt - summaryAt).toBeGreaterThanOrEqual(GITHUB_DELIVERY_WAIT_MS / 2);
    expect(result.stderr).toContain('Still queued in Temporal:');
    expect(result.stderr).toMatch(
      /github-outbox\/stranded: the progress table, the final summary; last try: GitHub .*503/,
    );
    expect(result.stderr).toContain('The next `sprintwave dev` or `sprintwave worker`');
    const before = github.comments('acme', 'widgets', issue);
    expect(before).toHaveLength(1);
    expect(before[0]?.body).not.toContain('**Overall:** 100%');

    github.up();
    const dev = spawnCli(['dev'], env);
    const devDone = collect(dev);
    try {
      await until(() => github.comments('acme', 'widgets', issue).length === 2, 'the summary');
    } finally {
      process.kill(-(dev.pid as number), 'SIGINT');
      await devDone;
    }
    const [progress, summary] = github.comments('acme', 'widgets', issue);
    expect(progress?.body).toContain('**Overall:** 100%');
    expect(summary?.body).toContain('Final Summary: sprint completed');
  });
});
