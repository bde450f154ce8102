import type { SpecProblem } from '../domain/spec';

export const EXIT = { ok: 0, sprintFailed: 1, badInput: 2 } as const;

/** An error the CLI reports as one message and an exit code, never with a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.sprintFailed,
  ) {
    super(message);
  }
}

/** Invalid input: every problem, each with its path. */
export class BadInput extends CliError {
  override name = 'BadInput';
  constructor(
    readonly source: string,
    readonly problems: SpecProblem[],
    what = 'sprint',
  ) {
    super(describeProblems(source, problems, what), EXIT.badInput);
  }
}

function describeProblems(source: string, problems: SpecProblem[], what: string): string {
  const [only] = problems;
  if (problems.length === 1 && only && only.path === source) return `${source} ${only.message}`;
  return `${source} is not a valid ${what}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`;
}
