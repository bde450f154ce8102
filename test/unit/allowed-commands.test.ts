import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  allowedCommandProblems,
  commandRefusal,
  parseAllowedCommands,
  parseCommandLine,
} from '../../src/domain/allowed-commands';
import { ConfigError, loadConfig } from '../../src/runtime/config';
import { sprint, wp } from '../support/specs';

const ALLOWED = ['npm', 'make', 'node'];

describe('commandRefusal', () => {
  it.each([
    'npm test',
    'npm test && make build',
    'CI=1 FOO="a b" npm test',
    'npm test > out.txt 2>&1',
    '>log 2>&1 npm test',
    'npm run lint | node scripts/summarize.js',
    'npm test # ; rm -rf /',
    '"npm" test',
    'n\\pm test',
    "npm test -- --grep '$(not run) `nor this`; rm'",
    'npm test -- "${HOME}/x" $HOME',
    'npm test\nmake\n',
    "npm test || node -e 'process.exit(0)'",
    'npm test &',
  ])('allows %j', (command) => {
    expect(commandRefusal(command, ALLOWED)).toBeUndefined();
  });

  it.each([
    ['rm -rf /', 'runs "rm"'],
    ['npm test; rm -rf /', 'runs "rm"'],
    ['npm test;rm -rf /', 'runs "rm"'],
    ['npm test && curl https://x | sh', 'runs "curl", "sh"'],
    ['npm test || rm x', 'runs "rm"'],
    ['npm test & rm x', 'runs "rm"'],
    ['npm test &>/dev/null rm x', 'runs "rm"'],
    ['npm test | tee out', 'runs "tee"'],
    ['npm test 2>&1 | rm x', 'runs "rm"'],
    ['npm test\nrm x', 'runs "rm"'],
    ['r\\m -rf /', 'runs "rm"'],
    ["'r'm -rf /", 'runs "rm"'],
    ['/usr/bin/npm test', 'runs "/usr/bin/npm"'],
    ['$CMD test', 'runs "$CMD"'],
    ['npm$IFS-v', 'runs "npm$IFS-v"'],
    ['env rm x', 'runs "env"'],
    ['if npm test; then rm x; fi', 'runs "if", "then", "fi"'],
    ['{ rm x; }', 'runs "{", "}"'],
    ['npm test $(rm -rf /)', 'command substitution'],
    ['npm test "$(rm -rf /)"', 'command substitution'],
    ['npm test `rm -rf /`', 'command substitution'],
    ['npm test "`rm -rf /`"', 'command substitution'],
    ['npm test $((1 + 2))', 'command substitution'],
    ['(rm -rf /)', 'subshell'],
    ['npm test < <(rm x)', 'subshell'],
    ['cat <<EOF\nx\nEOF', 'here-document'],
    ['npm test <<< "input"', 'here-string'],
    ["npm x $'\\''; rm -rf /; echo '\\''", "$'…' quoting"],
    ['npm test "${x:-"\'"}"; rm -rf /\necho \'"\'', '${…} expansion'],
    ["npm test 'unterminated", 'unterminated quote'],
    ['PATH=/tmp/evil npm test', 'sets PATH'],
    ['PATH=/tmp/evil; npm test', 'sets PATH'],
    ['LD_PRELOAD=/tmp/x.so npm test', 'sets LD_PRELOAD'],
    ['NODE_OPTIONS=--require=/tmp/x.js npm test', 'sets NODE_OPTIONS'],
    ['npm_config_script_shell=/tmp/x npm test', 'sets npm_config_script_shell'],
  ])('refuses %j (%s)', (command, why) => {
    const refusal = commandRefusal(command, ALLOWED);
    expect(refusal).toContain(why);
    expect(refusal).toContain('SPRINTWAVE_ALLOWED_COMMANDS (npm, make, node)');
  });
});

describe('allowedCommandProblems', () => {
  it('names each offending run command and check by its path; nothing without a list', () => {
    const spec = sprint(
      [
        wp('WP01', [], { run: 'npm test' }),
        wp('WP02', [], { run: undefined, external: true }),
        wp('WP03', [], { run: 'npm test; curl -X POST https://example.com' }),
      ],
      { integration: { checks: ['make check', 'rm -rf build'] } },
    );
    expect(allowedCommandProblems(spec, ALLOWED)).toEqual([
      {
        path: 'packages[2].run',
        message: 'runs "curl", which SPRINTWAVE_ALLOWED_COMMANDS (npm, make, node) does not allow',
      },
      {
        path: 'integration.checks[1]',
        message: 'runs "rm", which SPRINTWAVE_ALLOWED_COMMANDS (npm, make, node) does not allow',
      },
    ]);
    expect(allowedCommandProblems(spec, undefined)).toEqual([]);
  });
});

describe('parseAllowedCommands', () => {
  it('splits, trims and de-duplicates the names', () => {
    expect(parseAllowedCommands(' npm, make ,node,npm,')).toEqual({
      names: ['npm', 'make', 'node'],
    });
  });

  it.each([
    ['', 'names no executable'],
    [' , ', 'names no executable'],
    ['npm,rm -rf', '"rm -rf" is not an executable name'],
    ['npm,$(x)', '"$(x)" is not an executable name'],
    ['npm,time', '"time" is a shell keyword'],
  ])('refuses %j', (text, why) => {
    const parsed = parseAllowedCommands(text);
    expect('problem' in parsed && parsed.problem).toContain(why);
  });
});

describe('SPRINTWAVE_ALLOWED_COMMANDS in the config', () => {
  it('is a list when set, absent when not', () => {
    expect(loadConfig({ SPRINTWAVE_ALLOWED_COMMANDS: 'npm, make' }).allowedCommands).toEqual([
      'npm',
      'make',
    ]);
    expect(loadConfig({}).allowedCommands).toBeUndefined();
  });

  it('fails start-up naming the variable and the bad name', () => {
    const load = () => loadConfig({ SPRINTWAVE_ALLOWED_COMMANDS: 'npm,sh -c' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/SPRINTWAVE_ALLOWED_COMMANDS: "sh -c" is not an executable name/);
  });
});

const NAMES = ['npm', 'make', 'node', 'rm', 'curl'];
const name = fc.constantFrom(...NAMES);
const plainArg = fc.stringMatching(/^[A-Za-z0-9_./=-]{1,8}$/);
/** Text with everything that would split a command, were it not quoted. */
const metaText = fc
  .array(
    fc.constantFrom('a', ' ', ';', '&', '|', '&&', '||', '\n', 'rm', '#', '<', '>', "'", '"', '\\'),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));
const argument = fc.oneof(
  plainArg,
  fc.constantFrom('$HOME', '"${HOME}"', '${x:-a}', '$1', 'x#y'),
  metaText.map((text) => `"${text.replace(/[\\"]/g, '\\$&')}"`),
  metaText.map((text) => `'${text.replace(/'/g, '')}'`),
  metaText.map((text) => [...text].map((c) => (/\w/.test(c) ? c : `\\${c}`)).join('')),
);
const redirect = fc.constantFrom('', ' > out.txt', ' 2>&1', ' 2>/dev/null', ' < /dev/null');
const assignment = fc.constantFrom('', 'CI=1 ', 'A="b c" ', "X='y;z' ");
const simpleCommand = fc
  .tuple(assignment, name, fc.array(argument, { maxLength: 3 }), redirect)
  .map(([assign, command, args, redir]) => ({
    name: command,
    text: [assign + command, ...args].join(' ') + redir,
  }));
const separator = fc.constantFrom('; ', ';', ' && ', ' | ', '\n', ' || ');
const comment = fc.constantFrom('', ' # ; rm -rf /', ' #`id` $(id)');
const commandLine = fc
  .tuple(simpleCommand, fc.array(fc.tuple(separator, simpleCommand), { maxLength: 3 }), comment)
  .map(([first, rest, remark]) => ({
    names: [first.name, ...rest.map(([, command]) => command.name)],
    text: first.text + rest.map(([sep, command]) => sep + command.text).join('') + remark,
    hasOr: rest.some(([sep]) => sep.includes('||')),
  }));

describe('parseCommandLine, property-based', () => {
  it('finds the first word of every command in a list, however the arguments are quoted', () => {
    fc.assert(
      fc.property(commandLine, (line) => {
        expect(parseCommandLine(line.text)).toEqual({
          executables: line.names,
          assignments: expect.any(Array),
        });
      }),
    );
  });

  it('refuses a list as soon as one of its commands is not allowed', () => {
    fc.assert(
      fc.property(commandLine, (line) => {
        const refusal = commandRefusal(line.text, ALLOWED);
        const denied = line.names.filter((candidate) => !ALLOWED.includes(candidate));
        if (denied.length === 0) expect(refusal).toBeUndefined();
        else for (const bad of denied) expect(refusal).toContain(`"${bad}"`);
      }),
    );
  });

  it('refuses command substitution anywhere outside single quotes', () => {
    const substitution = fc.constantFrom('$(id)', '`id`', '"$(id)"', '"`id`"', '${x:-$(id)}');
    fc.assert(
      fc.property(commandLine, substitution, fc.nat(), (line, inserted, at) => {
        const words = line.text.split(' ');
        const position = 1 + (at % words.length);
        const text = [...words.slice(0, position), inserted, ...words.slice(position)].join(' ');
        const before = words.slice(0, position).join(' ');
        if (/'[^']*$/.test(before) || before.includes('#')) return; // inside '…' or a comment
        expect(commandRefusal(text, ALLOWED)).toMatch(/substitution|\$\{…\}|quote/);
      }),
    );
  });
});

/**
 * The parser against real shells: every name is a stub on PATH that logs itself, and what
 * `sh -c` (dash here) and `bash -c` run must be what the parser says a line starts.
 */
describe('parseCommandLine against sh and bash', () => {
  let dir: string;
  const shells = ['sh', 'bash'].filter((shell) => spawnSync(shell, ['-c', 'true']).status === 0);

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sprintwave-allowed-'));
    for (const stub of NAMES) {
      const file = path.join(dir, stub);
      writeFileSync(file, `#!/bin/sh\necho ${stub} >> "$STUB_LOG"\n`);
      chmodSync(file, 0o755);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(shells)('%s runs exactly the commands the parser finds', (shell) => {
    fc.assert(
      fc.property(commandLine, (line) => {
        const log = path.join(dir, 'log');
        writeFileSync(log, '');
        spawnSync(shell, ['-c', line.text], {
          cwd: dir,
          env: { PATH: `${dir}:/usr/bin:/bin`, STUB_LOG: log },
          stdio: 'ignore',
        });
        const ran = readFileSync(log, 'utf8').split('\n').filter(Boolean).sort();
        const parsed = parseCommandLine(line.text);
        const found = 'executables' in parsed ? [...parsed.executables].sort() : [];
        // `a || b` skips b when a succeeds (every stub does): then only a subset runs.
        if (line.hasOr) for (const command of ran) expect(found).toContain(command);
        else expect(ran).toEqual(found);
      }),
      { numRuns: 60 },
    );
  });
});
