import { statusJsonSchema } from '../schemas/status-json';
import type { StatusJson } from '../schemas/status-json';
import { CliError } from './errors';

/** The API's sprint status JSON, checked against its schema. */
export function parseStatusJson(json: unknown): StatusJson {
  const parsed = statusJsonSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` (${issue.path.join('.')}: ${issue.message})` : '';
  throw new CliError(`The API answered with something that is not a sprint status${where}.`);
}
