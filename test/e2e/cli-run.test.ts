import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/runtime/dev-server';
import { BIN, collect, runCli, spawnCli } from '../support/cli';
import { fixtureGit, makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

jest.setTimeout(180_000);

async function embeddedEnv(home: string): Promise<NodeJS.ProcessEnv> {
  return {
    SPRINTWAVE_HOME: home,
    SPRINTWAVE_TEMPORAL_PORT: String(await freePort()),
    SPRINTWAVE_UI_PORT: String(await freePort()),
  };
}

async function until(test: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('sprintwave run and demo on the embedded dev server', () => {
  let home: string;
  let sandbox: Sandbox;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-home-'));
    sandbox = await makeSandbox();
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await sandbox.cleanup();
  });

  it('`demo --json` creates a sample repository and runs the example sprint to completion', async () => {
    const env = await embeddedEnv(home);
    const result = await runCli(['demo', '--json', '--dir', path.join(home, 'demo-repo')], env);
    expect(result.stderr).toContain('Temporal dev server started; Web UI: http://127.0.0.1:');
    expect(result.stderr).toMatch(
      /Sprint board: http:\/\/127\.0\.0\.1:\d+\/sprints\/identity-sync-[\w-]+\/board/,
    );
    expect(result.code).toBe(0);
    // Not a terminal: the Web UI goes with the demo, so it says how to bring it back.
    expect(result.stderr).toContain(`git -C ${path.join(home, 'demo-repo')} log --graph --all`);
    expect(result.stderr).toContain(
      `To see it again, with the sprint's history: SPRINTWAVE_HOME=${home} ` +
        `SPRINTWAVE_TEMPORAL_PORT=${env.SPRINTWAVE_TEMPORAL_PORT} ` +
        `SPRINTWAVE_UI_PORT=${env.SPRINTWAVE_UI_PORT} sprintwave dev ` +
        `(Web UI at http://127.0.0.1:${env.SPRINTWAVE_UI_PORT}).`,
    );
    const status = JSON.parse(result.stdout);
    expect(status.status).toBe('completed');
    expect(
      status.packages.map((wp: { id: string; status: string; wave: number }) => [
        wp.id,
        wp.status,
        wp.wave,
      ]),
    ).toEqual([
      ['WP01', 'completed', 1],
      ['WP02', 'completed', 2],
      ['WP03', 'completed', 2],
      ['WP04', 'completed', 3],
      ['WP05', 'completed', 4],
      ['WP06', 'completed', 5],
    ]);
    expect(status.integration.merged).toHaveLength(6);
    expect(status.integration.checks.every((check: { passed: boolean }) => check.passed)).toBe(
      true,
    );
    const tree = await fixtureGit(path.join(home, 'demo-repo')).raw([
      'ls-tree',
      '-r',
      '--name-only',
      status.integration.branch,
    ]);
    expect(tree).toContain('sync/project_identity.py');
    expect(tree).toContain('tests/integration/test_sync_e2e.py');

    const events = await runCli(['events', status.id, '--json'], env);
    expect(events.code).toBe(0);
    const list = JSON.parse(events.stdout) as {
      event_type: string;
      project_uuid: string;
      sequence: number;
    }[];
    expect(list[0]?.event_type).toBe('SprintStarted');
    expect(list.at(-1)?.event_type).toBe('SprintCompleted');
    expect(list.map((e) => e.sequence)).toEqual(list.map((_e, i) => i + 1));
    expect(new Set(list.map((e) => e.project_uuid)).size).toBe(1);
    const flush = await runCli(['sync', 'flush'], env);
    expect(flush.code).toBe(2);
    expect(flush.stderr).toContain('Not logged in');
  });

  it('`demo` in a terminal keeps the Web UI up after the summary until Ctrl-C', async () => {
    const env = await embeddedEnv(home);
    const dir = path.join(home, 'demo-tty');
    // `script` gives the demo a terminal; a Ctrl-C written to it reaches the demo as SIGINT.
    // `exec`: script runs the command through $SHELL, and a shell left waiting (dash) would take
    // the SIGINT too and make script answer 130 whatever the demo's own exit code.
    const command = ['exec', process.execPath, BIN, 'demo', '--dir', dir].join(' ');
    const { TEMPORAL_ADDRESS: _elsewhere, ...inherited } = process.env;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...inherited, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const done = collect(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ui = `http://127.0.0.1:${env.SPRINTWAVE_UI_PORT}`;
    await until(
      () => output.includes(`Web UI stays up at ${ui} until Ctrl-C, and the sprint board with it.`),
      'the wait',
      150_000,
    );
    expect(output).toContain(`git -C ${dir} log --graph --all`);
    const page = await fetch(ui);
    expect(page.status).toBe(200);
    // The board of the demo's sprint, served beside it.
    const board = /Sprint board: (http:\/\/127\.0\.0\.1:\d+\/sprints\/[^/\s]+\/board)/.exec(
      output,
    )?.[1];
    expect(board).toBeDefined();
    const boardPage = await fetch(board as string);
    expect(boardPage.status).toBe(200);
    expect(await boardPage.text()).toContain('<script');
    const sprintId = /\/sprints\/([^/]+)\/board/.exec(board as string)?.[1] as string;
    const status = await fetch(new URL(`/sprints/${sprintId}`, board));
    expect(((await status.json()) as { status: string }).status).toBe('completed');
    child.stdin?.write('\x03');
    const result = await done;
    expect({ code: result.code, output: output.slice(-2_000) }).toMatchObject({ code: 0 });
    // The sprint has ended: nothing to attach to again.
    expect(output).not.toContain('run the same command again to attach');
    await expect(fetch(ui)).rejects.toThrow();
  });

  it('attaches to a sprint still running after Ctrl-C instead of starting it twice, and exits 1 when it fails', async () => {
    const env = await embeddedEnv(home);
    const release = path.join(sandbox.dir, 'release');
    const file = path.join(sandbox.dir, 'resume.sprint.yaml');
    await writeFile(
      file,
      [
        'id: resume-me',
        'repo: ./repo',
        'packages:',
        '  - id: WP01',
        '    title: Waits for a release',
        `    run: 'while [ ! -f ${release} ]; do sleep 0.1; done; echo done > wp01.txt'`,
        '  - id: WP02',
        '    title: After it',
        '    dependsOn: [WP01]',
        "    run: 'test -f wp01.txt && echo two > wp02.txt'",
        '',
      ].join('\n'),
    );
    const first = spawnCli(['run', file], env);
    const firstDone = collect(first);
    const worktree = path.join(home, 'worktrees', 'resume-me', 'WP01');
    await until(() => existsSync(worktree), 'the WP01 worktree');
    process.kill(-(first.pid as number), 'SIGINT');
    const interrupted = await firstDone;
    expect(interrupted.stderr).toContain('Sprint resume-me started.');
    expect([interrupted.code, interrupted.code === 130 ? '' : interrupted.stderr]).toEqual([
      130,
      '',
    ]);
    expect(interrupted.stderr).toContain('error: Interrupted.');
    expect(interrupted.stderr).not.toContain('Channel has been shut down');

    await writeFile(release, '');
    const second = await runCli(['run', file, '--json'], env);
    expect(second.stderr).toContain('Sprint resume-me is already running: following it.');
    expect(second.code).toBe(0);
    const status = JSON.parse(second.stdout);
    expect(status.status).toBe('completed');
    const log = await fixtureGit(sandbox.repo).raw([
      'log',
      '--format=%s',
      'sprintwave/resume-me/WP01',
    ]);
    expect(log.split('\n').filter((s) => s.startsWith('sprintwave: WP01'))).toHaveLength(1);

    const statusAfter = await runCli(['status', 'resume-me', '--json'], env);
    expect(statusAfter.code).toBe(0);
    expect(JSON.parse(statusAfter.stdout).status).toBe('completed');

    const failing = path.join(sandbox.dir, 'failing.sprint.yaml');
    await writeFile(
      failing,
      "id: fails\nrepo: ./repo\npackages:\n  - {id: A, title: breaks, run: 'exit 4'}\n",
    );
    const failed = await runCli(['run', failing], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('A failed: `exit 4` exited with code 4');
  });
});
