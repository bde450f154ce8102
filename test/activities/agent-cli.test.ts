import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { agentProblems, findAgentExecutable } from '../../src/activities/agent-cli';
import { sprint, wp } from '../support/specs';

describe('finding an agent’s executable', () => {
  let dir: string;
  let bin: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-agent-path-'));
    bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'claude'), '#!/bin/sh\n');
    await chmod(path.join(bin, 'claude'), 0o755);
    await writeFile(path.join(bin, 'codex'), 'not executable');
    await writeFile(path.join(bin, 'my-gemini'), '#!/bin/sh\n');
    await chmod(path.join(bin, 'my-gemini'), 0o755);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('looks the agent’s name up on PATH, skipping files that cannot be run', async () => {
    const env = { PATH: [path.join(dir, 'empty'), bin].join(path.delimiter) };
    expect(await findAgentExecutable('claude', env)).toEqual({
      found: true,
      executable: path.join(bin, 'claude'),
    });
    expect(await findAgentExecutable('codex', env)).toEqual({
      found: false,
      problem: 'codex is not on PATH',
    });
  });

  it('takes SPRINTWAVE_AGENT_<NAME> as a name on PATH or as a path', async () => {
    expect(
      await findAgentExecutable('gemini', { PATH: bin, SPRINTWAVE_AGENT_GEMINI: 'my-gemini' }),
    ).toEqual({ found: true, executable: path.join(bin, 'my-gemini') });
    expect(await findAgentExecutable('aider', { PATH: '', SPRINTWAVE_AGENT_AIDER: bin })).toEqual({
      found: false,
      problem: `aider: SPRINTWAVE_AGENT_AIDER=${bin} is not an executable file`,
    });
  });

  it('reports every agent package that cannot start, with its path', async () => {
    const spec = sprint([
      wp('WP01'),
      wp('WP02', [], { run: undefined, agent: 'claude' }),
      wp('WP03', [], { run: undefined, agent: 'codex' }),
      wp('WP04', [], { run: undefined, agent: 'aider' }),
    ]);
    expect(await agentProblems(spec, { PATH: bin })).toEqual([
      { path: 'packages[2].agent', message: 'codex is not on PATH' },
      { path: 'packages[3].agent', message: 'aider is not on PATH' },
    ]);
  });
});
