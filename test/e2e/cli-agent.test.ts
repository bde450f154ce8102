import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/runtime/dev-server';
import { runCli } from '../support/cli';
import { makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

jest.setTimeout(60_000);

describe('sprintwave run and start with an agent that is not installed', () => {
  let home: string;
  let sandbox: Sandbox;
  let file: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-agent-cli-'));
    sandbox = await makeSandbox();
    const claude = path.join(home, 'claude-stub');
    await writeFile(claude, '#!/bin/sh\nexit 0\n');
    await chmod(claude, 0o755);
    file = path.join(sandbox.dir, 'agents.sprint.yaml');
    await writeFile(
      file,
      [
        'id: agents',
        'repo: ./repo',
        'packages:',
        '  - {id: WP01, title: Shell, run: "true"}',
        '  - {id: WP02, title: Codex, agent: codex, dependsOn: [WP01]}',
        '  - {id: WP03, title: Claude, agent: claude, prompt: Write the docs.}',
        '',
      ].join('\n'),
    );
    env = {
      SPRINTWAVE_HOME: home,
      SPRINTWAVE_TEMPORAL_PORT: String(await freePort()),
      SPRINTWAVE_UI_PORT: String(await freePort()),
      SPRINTWAVE_AGENT_CODEX: 'codex-is-not-installed-here',
      SPRINTWAVE_AGENT_CLAUDE: claude,
    };
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await sandbox.cleanup();
  });

  it.each([['run'], ['start']])(
    '`%s` refuses the sprint before starting anything, naming the package',
    async (command) => {
      const result = await runCli([command, file], env);
      expect(result).toMatchObject({
        code: 2,
        stderr:
          `error: Sprint agents was not started:\n` +
          '  packages[1].agent: codex is not on PATH (SPRINTWAVE_AGENT_CODEX=codex-is-not-installed-here)\n',
      });
      expect(result.stderr).not.toContain('Temporal dev server started');
    },
  );
});
