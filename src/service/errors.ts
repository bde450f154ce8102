import type { SpecProblem } from '../domain/spec';

/**
 * Why the service refused or could not answer. Each edge maps a kind once: the API to an HTTP
 * status, the CLI to an exit code.
 */
export type RefusalKind = 'bad-input' | 'not-found' | 'conflict' | 'unavailable';

/** A refusal with one message for a person, never a stack trace. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    message: string,
    readonly kind: RefusalKind,
  ) {
    super(message);
  }
}

/** Invalid input: every problem, each with its path. */
export class BadInput extends ServiceError {
  override name = 'BadInput';
  constructor(
    readonly source: string,
    readonly problems: SpecProblem[],
    readonly what = 'sprint',
  ) {
    super(describeProblems(source, problems, what), 'bad-input');
  }
}

/** A valid sprint that cannot run here: its repository, agents or commands; every problem named. */
export class NotRunnable extends BadInput {
  override name = 'NotRunnable';
  constructor(sprintId: string, problems: SpecProblem[]) {
    super(`Sprint ${sprintId}`, problems);
    const lines = problems.map(({ path, message }) => `  ${path}: ${message}`);
    this.message = `Sprint ${sprintId} was not started:\n${lines.join('\n')}`;
  }
}

export const notFound = (message: string): ServiceError => new ServiceError(message, 'not-found');
export const conflict = (message: string): ServiceError => new ServiceError(message, 'conflict');
/** Temporal answered, but could not give what was asked (no worker, a run without a result). */
export const unavailable = (message: string): ServiceError =>
  new ServiceError(message, 'unavailable');

function describeProblems(source: string, problems: SpecProblem[], what: string): string {
  const [only] = problems;
  if (problems.length === 1 && only && only.path === source) return `${source} ${only.message}`;
  return `${source} is not a valid ${what}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`;
}
