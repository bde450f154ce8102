import type { SpecProblem } from '../domain/spec';

export interface Issue {
  path: string;
  message: string;
}

/** An error the API answers with its status and message (and issues for invalid input). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

export function invalidInput(problems: SpecProblem[], message = 'Invalid sprint'): ApiError {
  return new ApiError(
    400,
    message,
    problems.map(({ path, message: why }) => ({ path, message: why })),
  );
}

export const notFound = (message: string): ApiError => new ApiError(404, message);
export const conflict = (message: string): ApiError => new ApiError(409, message);
