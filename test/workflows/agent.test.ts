import { chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { agentArguments } from '../../src/domain/agents';
import { fixtureGit } from '../support/git-fixtures';
import { pkg, runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(90_000);

/** Written into every stub's worktree, and what the user asked of it: quotes, `$(…)`, new lines. */
const USER_PROMPT = `Don't touch "shared.txt"; $(touch injected) \`touch injected2\` $HOME\nSecond line.`;

interface Recorded {
  argv: string[];
  cwd: string;
  wp: string;
}

describe('agent packages on a real dev server and real git', () => {
  let harness: Harness;
  let records: string;
  const saved: Record<string, string | undefined> = {};

  /** A stand-in for an agent CLI: records how it was started, writes a file, exits with `code`. */
  async function stubAgent(name: string, code = 0): Promise<string> {
    const file = path.join(harness.sandbox.dir, `stub-${name}`);
    await writeFile(
      file,
      [
        `#!${process.execPath}`,
        "const fs = require('node:fs');",
        `fs.writeFileSync(${JSON.stringify(records)} + '/' + process.env.SPRINTWAVE_WP_ID + '.json',`,
        '  JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), wp: process.env.SPRINTWAVE_WP_ID }));',
        "fs.writeFileSync('agent-output.txt', 'written by the agent\\n');",
        `process.exit(${code});`,
      ].join('\n'),
    );
    await chmod(file, 0o755);
    return file;
  }

  function useAgent(variable: string, value: string): void {
    if (!(variable in saved)) saved[variable] = process.env[variable];
    process.env[variable] = value;
  }

  async function recorded(wp: string): Promise<Recorded> {
    return JSON.parse(await readFile(path.join(records, `${wp}.json`), 'utf8')) as Recorded;
  }

  beforeAll(async () => {
    harness = await startHarness();
    records = harness.sandbox.dir;
  });

  afterAll(async () => {
    for (const [variable, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[variable];
      else process.env[variable] = value;
    }
    await harness.close();
  });

  it('runs the agent in the worktree with a prompt built from the package and its dependencies; its file lands in the commit', async () => {
    useAgent('SPRINTWAVE_AGENT_CLAUDE', await stubAgent('claude'));
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        {
          id: 'WP01',
          title: 'Identity',
          run: 'echo uuid > identity.txt && echo "::progress 1/1 identity is in identity.txt"',
        },
        {
          id: 'WP02',
          title: 'Emitter identity injection',
          dependsOn: ['WP01'],
          agent: 'claude',
          test: 'Emit an event; it has project_uuid.',
          prompt: USER_PROMPT,
        },
      ],
    });
    const { state } = await runToEnd(harness, { spec });

    expect(state.status).toBe('completed');
    const wp02 = pkg(state, 'WP02');
    expect(wp02).toMatchObject({ status: 'completed', filesChanged: 1, exitCode: 0 });
    const committed = await fixtureGit(harness.sandbox.repo).raw([
      'show',
      '--name-only',
      '--format=',
      wp02.commit as string,
    ]);
    expect(committed.trim().split('\n')).toEqual(['agent-output.txt']);

    const call = await recorded('WP02');
    expect(call.cwd).toBe(wp02.worktree);
    const prompt = call.argv[3] as string;
    expect(call.argv).toEqual(agentArguments('claude', prompt));
    expect(prompt).toContain('You are working on work package WP02: Emitter identity injection.');
    expect(prompt).toContain(
      'Independent test (how this package is checked on its own):\nEmit an event; it has project_uuid.',
    );
    expect(prompt).toContain('- WP01 (Identity): identity is in identity.txt');
    expect(prompt.endsWith(`Instructions:\n${USER_PROMPT}`)).toBe(true);
    expect(existsSync(path.join(wp02.worktree as string, 'injected'))).toBe(false);
    expect(existsSync(path.join(wp02.worktree as string, 'injected2'))).toBe(false);
  });

  it('fails the package with the agent’s exit code when the agent fails', async () => {
    useAgent('SPRINTWAVE_AGENT_CODEX', await stubAgent('codex', 3));
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'Broken', agent: 'codex' }],
    });
    const { state } = await runToEnd(harness, { spec });

    expect(state.status).toBe('failed');
    expect(pkg(state, 'WP01')).toMatchObject({
      status: 'failed',
      exitCode: 3,
      error: 'agent codex exited with code 3',
    });
    expect((await recorded('WP01')).argv.slice(0, 3)).toEqual([
      'exec',
      '--sandbox',
      'workspace-write',
    ]);
  });

  it('fails the package at once, saying so, when the worker has no such agent', async () => {
    const missing = path.join(harness.sandbox.dir, 'no-such-gemini');
    useAgent('SPRINTWAVE_AGENT_GEMINI', missing);
    const spec = sprint(harness.sandbox.repo, {
      packages: [{ id: 'WP01', title: 'Nobody home', agent: 'gemini' }],
    });
    const { state } = await runToEnd(harness, { spec });

    expect(pkg(state, 'WP01')).toMatchObject({
      status: 'failed',
      error: `gemini: SPRINTWAVE_AGENT_GEMINI=${missing} is not an executable file on this worker`,
    });
  });
});
