import type { RefusalKind } from '../service/errors';

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

/** The exit code of a service's refusal: the person's input or request (2), or the run (1). */
export function exitCodeOf(kind: RefusalKind): number {
  return kind === 'unavailable' ? EXIT.sprintFailed : EXIT.badInput;
}

/** A finished sprint's exit code: 0 when it completed, 1 otherwise. */
export function exitCodeFor(state: { status: string }): number {
  return state.status === 'completed' ? EXIT.ok : EXIT.sprintFailed;
}
