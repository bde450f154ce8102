import { execFileSync } from 'node:child_process';
import {
  AGENTS,
  agentArguments,
  agentCommandLine,
  agentExecutableVariable,
  agentPrompt,
} from '../../src/domain/agents';
import { validateSpec } from '../../src/domain/validate';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { sprint, wp } from '../support/specs';

const PROMPT = 'You are working on work package WP01: Identity.';

describe('agent command lines', () => {
  it('runs claude in print mode, allowed to edit files', () => {
    expect(agentArguments('claude', PROMPT)).toEqual([
      '--permission-mode',
      'acceptEdits',
      '-p',
      PROMPT,
    ]);
  });

  it('runs codex through its exec subcommand, writing inside the worktree only', () => {
    expect(agentArguments('codex', PROMPT)).toEqual([
      'exec',
      '--sandbox',
      'workspace-write',
      PROMPT,
    ]);
  });

  it('runs aider with one message, saying yes to its questions and leaving commits to sprintwave', () => {
    expect(agentArguments('aider', PROMPT)).toEqual([
      '--message',
      PROMPT,
      '--yes-always',
      '--no-auto-commits',
    ]);
  });

  it('runs gemini headless, approving edits', () => {
    expect(agentArguments('gemini', PROMPT)).toEqual([
      '--approval-mode',
      'auto_edit',
      '--prompt',
      PROMPT,
    ]);
  });

  it('names an override variable per agent', () => {
    expect(AGENTS.map(agentExecutableVariable)).toEqual([
      'SPRINTWAVE_AGENT_CLAUDE',
      'SPRINTWAVE_AGENT_CODEX',
      'SPRINTWAVE_AGENT_AIDER',
      'SPRINTWAVE_AGENT_GEMINI',
    ]);
  });

  it('quotes the command line so sh passes every argument through unchanged', () => {
    const hostile = `it's "quoted" $(echo injected) \`echo x\` $HOME; echo gotcha\nsecond line \\ end`;
    const line = agentCommandLine('printf', 'claude', hostile).replace(
      /^'printf'/,
      `printf '%s\\0'`,
    );
    const printed = execFileSync('sh', ['-c', line], { encoding: 'utf8' });
    expect(printed.split('\0').slice(0, -1)).toEqual(agentArguments('claude', hostile));
  });
});

describe('agent prompts', () => {
  it('tells the agent the package, its subtasks and test, its dependencies and the user’s words', () => {
    const prompt = agentPrompt(
      {
        id: 'WP02',
        title: 'Emitter identity injection',
        description: 'Every event carries the project identity.',
        tasks: [
          { id: 'T004', title: 'Inject project_uuid' },
          { id: 'T005', title: 'Inject node_id', done: true },
        ],
        test: 'Emit an event and check it has project_uuid.',
        prompt: 'Keep the public API unchanged.',
      },
      [
        { id: 'WP01', title: 'ProjectIdentity', note: 'identity lives in config.yaml' },
        { id: 'WP03', title: 'Team slug' },
      ],
    );
    expect(prompt).toBe(
      [
        'You are working on work package WP02: Emitter identity injection.',
        'You are in a git worktree on the branch of this package. Make the changes here; they are committed for you when you finish.',
        'Goal:\nEvery event carries the project identity.',
        'Subtasks:\n- [ ] T004 Inject project_uuid\n- [x] T005 Inject node_id',
        'Independent test (how this package is checked on its own):\nEmit an event and check it has project_uuid.',
        'This package builds on these packages; their work is already merged into this branch:\n' +
          '- WP01 (ProjectIdentity): identity lives in config.yaml\n- WP03 (Team slug)',
        'Instructions:\nKeep the public API unchanged.',
      ].join('\n\n'),
    );
  });

  it('leaves out what the package does not have, and never starts with a dash', () => {
    const prompt = agentPrompt({ id: 'WP01', title: '--help' }, []);
    expect(prompt.startsWith('You are working on work package WP01: --help.')).toBe(true);
    expect(prompt).not.toContain('Subtasks');
    expect(prompt).not.toContain('Instructions');
    expect(prompt).not.toContain('builds on');
  });

  it('drops NUL characters, which no argument can carry', () => {
    expect(agentPrompt({ id: 'WP01', title: 'a\0b', prompt: 'c\0d' }, [])).not.toContain('\0');
  });
});

describe('agent packages in the sprint file', () => {
  it('accepts agent with an optional prompt', () => {
    const checked = checkSprintSpec({
      id: 's',
      repo: '.',
      packages: [
        { id: 'WP01', title: 'One', agent: 'claude', prompt: 'Use tabs.' },
        { id: 'WP02', title: 'Two', agent: 'gemini' },
      ],
    });
    expect(checked.ok).toBe(true);
    if (checked.ok)
      expect(checked.spec.packages[0]).toMatchObject({ agent: 'claude', prompt: 'Use tabs.' });
  });

  it('names the agents it knows when given another', () => {
    const checked = checkSprintSpec({
      id: 's',
      repo: '.',
      packages: [{ id: 'WP01', title: 'One', agent: 'copilot' }],
    });
    expect(checked).toEqual({
      ok: false,
      problems: [
        { path: 'packages[0].agent', message: 'must be one of claude, codex, aider, gemini' },
      ],
    });
  });

  it('allows only one of run, external and agent, and a prompt only with an agent', () => {
    const spec = sprint([
      wp('WP01', [], { agent: 'claude' }),
      wp('WP02', [], { run: undefined, external: true, agent: 'codex' }),
      wp('WP03', [], { run: undefined, agent: 'aider', prompt: 'Fix it.' }),
      wp('WP04', [], { prompt: 'Fix it.' }),
    ]);
    expect(validateSpec(spec)).toEqual([
      {
        path: 'packages[0]',
        message: 'WP01 has agent and run; give it only one of run, external: true and agent',
      },
      {
        path: 'packages[1]',
        message:
          'WP02 has agent and external: true; give it only one of run, external: true and agent',
      },
      {
        path: 'packages[3]',
        message:
          'WP04 has a prompt but no agent: add agent (claude, codex, aider or gemini) to use it',
      },
    ]);
  });
});
