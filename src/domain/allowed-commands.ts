import type { SpecProblem, SprintSpec } from './spec';

/**
 * SPRINTWAVE_ALLOWED_COMMANDS: which executables a sprint's `run` commands and integration
 * checks may start. Commands run with `sh -c`, so a command line is read as the shell reads
 * it: every command of a list or pipeline (`;`, `&&`, `||`, `|`, `&`, new lines) must start an
 * allowed executable, and whatever the shell could turn into another command (command
 * substitution, subshells, variables that change what runs) is refused.
 */

export const ALLOWED_COMMANDS_VARIABLE = 'SPRINTWAVE_ALLOWED_COMMANDS';

const SHELL_KEYWORDS = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do',
  'done', 'in', 'function', 'time', 'coproc',
]); // prettier-ignore

/** Variables that change which program runs or what it loads, whatever the command is. */
const RISKY_VARIABLE =
  /^(PATH|IFS|ENV|BASH_ENV|SHELLOPTS|BASHOPTS|LD_\w*|DYLD_\w*|NODE_\w*|NPM_CONFIG_\w*|PYTHON\w*|PERL5\w*|RUBY\w*)$/i;
const ALLOWED_NAME = /^[\w.+@/-]+$/;
const ASSIGNMENT = /^([A-Za-z_]\w*)=/;

/** The names of SPRINTWAVE_ALLOWED_COMMANDS (`npm,make,node`), or what is wrong with them. */
export function parseAllowedCommands(text: string): { names: string[] } | { problem: string } {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) {
    return { problem: 'names no executable; leave it unset to allow any command' };
  }
  for (const name of names) {
    if (!ALLOWED_NAME.test(name)) {
      return {
        problem: `"${name}" is not an executable name (letters, digits and . _ - + @ / only)`,
      };
    }
    if (SHELL_KEYWORDS.has(name)) {
      return { problem: `"${name}" is a shell keyword, not an executable` };
    }
  }
  return { names: [...new Set(names)] };
}

/**
 * One problem per `run` command and integration check that starts something the list does
 * not allow, with its path (`packages[2].run`, `integration.checks[0]`). None without a list.
 */
export function allowedCommandProblems(
  spec: Pick<SprintSpec, 'packages' | 'integration'>,
  allowed: readonly string[] | undefined,
): SpecProblem[] {
  if (!allowed) return [];
  const commands: Array<{ path: string; command: string }> = [];
  spec.packages.forEach((wp, i) => {
    if (wp.run !== undefined) commands.push({ path: `packages[${i}].run`, command: wp.run });
  });
  spec.integration.checks.forEach((command, i) => {
    commands.push({ path: `integration.checks[${i}]`, command });
  });
  const problems: SpecProblem[] = [];
  for (const { path, command } of commands) {
    const refusal = commandRefusal(command, allowed);
    if (refusal) problems.push({ path, message: refusal });
  }
  return problems;
}

/** Why a command line may not run under the list, or undefined when it may. */
export function commandRefusal(command: string, allowed: readonly string[]): string | undefined {
  const listed = `${ALLOWED_COMMANDS_VARIABLE} (${allowed.join(', ')})`;
  const parsed = parseCommandLine(command);
  if ('refused' in parsed) return `${parsed.refused}, which is refused when ${listed} is set`;
  const risky = parsed.assignments.find((name) => RISKY_VARIABLE.test(name));
  if (risky) return `sets ${risky}, which could change what runs; ${listed} does not allow that`;
  const allowedSet = new Set(allowed);
  const denied = [...new Set(parsed.executables.filter((name) => !allowedSet.has(name)))];
  if (denied.length === 0) return undefined;
  const names = denied.map((name) => `"${name}"`).join(', ');
  return `runs ${names}, which ${listed} does not allow`;
}

export type ParsedCommandLine =
  { executables: string[]; assignments: string[] } | { refused: string };

type Token =
  { kind: 'word'; text: string; raw: string } | { kind: 'separator' } | { kind: 'redirect' };

/**
 * The executables a `sh -c` command line starts, one per simple command (the first word
 * after `VAR=value` assignments and redirections), and the variables it assigns.
 */
export function parseCommandLine(command: string): ParsedCommandLine {
  const tokens = tokenize(command);
  if ('refused' in tokens) return tokens;
  const executables: string[] = [];
  const assignments: string[] = [];
  let expectCommand = true;
  let skipTarget = false;
  for (const token of tokens) {
    if (token.kind === 'separator') {
      expectCommand = true;
      skipTarget = false;
    } else if (token.kind === 'redirect') {
      skipTarget = true;
    } else if (skipTarget) {
      skipTarget = false;
    } else if (expectCommand) {
      const assignment = ASSIGNMENT.exec(token.raw);
      if (assignment?.[1]) {
        assignments.push(assignment[1]);
      } else {
        executables.push(token.text);
        expectCommand = false;
      }
    }
  }
  return { executables, assignments };
}

const SUBSTITUTION = 'uses command substitution ($(…) or backticks)';
const REDIRECTIONS = ['<<', '<>', '<&', '>>', '>|', '>&', '<', '>'];
/** What `${…}` may hold: a name and plain text, nothing that opens a quote or another expansion. */
const PLAIN_BRACED = /^\$\{[^'"`$\\{}\n]*\}/;

/**
 * Words, separators and redirections of a command line. Where bash and dash could read the
 * quoting of a construct differently (here-documents, `$'…'`, nested `${…}`), it is refused
 * rather than guessed, so nothing either shell runs can hide inside what looks like a string.
 */
function tokenize(line: string): Token[] | { refused: string } {
  const tokens: Token[] = [];
  let text = '';
  let raw = '';
  let inWord = false;
  const endWord = (): void => {
    if (inWord) tokens.push({ kind: 'word', text, raw });
    text = '';
    raw = '';
    inWord = false;
  };
  const addToWord = (literal: string, source: string): void => {
    inWord = true;
    text += literal;
    raw += source;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    const next = line[i + 1];
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if ('\n;|&'.includes(c)) {
      // `&` always separates: dash reads `&>` as `&` then `>`.
      endWord();
      tokens.push({ kind: 'separator' });
      i++;
    } else if (c === '<' || c === '>') {
      // Digits right before a redirection name a file descriptor (`2>&1`), not a word.
      if (inWord && /^\d+$/.test(raw)) inWord = false;
      endWord();
      const op = REDIRECTIONS.find((candidate) => line.startsWith(candidate, i)) as string;
      if (op === '<<') return { refused: 'uses a here-document or here-string (<<)' };
      tokens.push({ kind: 'redirect' });
      i += op.length;
    } else if (c === '(' || c === ')') {
      return { refused: 'uses a subshell or process substitution ( … )' };
    } else if (c === '#' && !inWord) {
      while (i < line.length && line[i] !== '\n') i++;
    } else if (c === '\\') {
      if (next !== '\n') addToWord(next ?? '\\', line.slice(i, i + 2));
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { refused: 'has an unterminated quote' };
      addToWord(line.slice(i + 1, end), line.slice(i, end + 1));
      i = end + 1;
    } else if (c === '"') {
      const quoted = readDoubleQuoted(line, i);
      if ('refused' in quoted) return quoted;
      addToWord(quoted.text, line.slice(i, quoted.end));
      i = quoted.end;
    } else if (c === '$' && (next === "'" || next === '"')) {
      return { refused: `uses $${next}…${next} quoting` };
    } else {
      const dollar = dollarExpansion(line, i);
      if (typeof dollar !== 'string') return dollar;
      addToWord(dollar, dollar);
      i += dollar.length;
    }
  }
  endWord();
  return tokens;
}

/** A `"…"` string from `start`: its text and the index after it. Expansions stay live in it. */
function readDoubleQuoted(
  line: string,
  start: number,
): { text: string; end: number } | { refused: string } {
  let text = '';
  let i = start + 1;
  while (i < line.length) {
    const c = line[i] as string;
    const next = line[i + 1];
    if (c === '"') return { text, end: i + 1 };
    if (c === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
      if (next !== '\n') text += next;
      i += 2;
    } else {
      const dollar = dollarExpansion(line, i);
      if (typeof dollar !== 'string') return dollar;
      text += dollar;
      i += dollar.length;
    }
  }
  return { refused: 'has an unterminated quote' };
}

/**
 * The text at `i` up to where the shell's reading could change: one character, or a whole
 * plain `${…}`. Command substitution, arithmetic and `${…}` with quotes or nesting are refused.
 */
function dollarExpansion(line: string, i: number): string | { refused: string } {
  const c = line[i] as string;
  if (c === '`') return { refused: SUBSTITUTION };
  if (c !== '$') return c;
  const next = line[i + 1];
  if (next === '(') return { refused: SUBSTITUTION };
  if (next === '[') return { refused: 'uses $[…] arithmetic' };
  if (next !== '{') return c;
  const braced = PLAIN_BRACED.exec(line.slice(i));
  if (!braced) return { refused: 'uses a ${…} expansion holding quotes or other expansions' };
  return braced[0];
}
