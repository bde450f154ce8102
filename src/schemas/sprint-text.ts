import { parseDocument } from 'yaml';
import type { SpecProblem } from '../domain/spec';

export type TextParse = { ok: true; value: unknown } | { ok: false; problems: SpecProblem[] };

/**
 * Turns the text of a sprint file into plain data. JSON is a subset of YAML, so one parser
 * serves both; errors carry line and column.
 */
export function parseSprintText(text: string, source = 'sprint file'): TextParse {
  if (text.trim() === '') {
    return { ok: false, problems: [{ path: source, message: 'is empty' }] };
  }
  // logLevel 'error': a warning (a list used as a key) would go to process warnings on every
  // request; such a key is refused by the schema anyway.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const at = error.linePos?.[0];
        const where = at ? `${source}:${at.line}:${at.col}` : source;
        return { path: where, message: `is not valid YAML or JSON: ${firstLine(error.message)}` };
      }),
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (error) {
    // The yaml package throws (instead of reporting) when aliases expand too far: an alias bomb.
    const why = error instanceof Error ? firstLine(error.message) : String(error);
    return { ok: false, problems: [{ path: source, message: `cannot be read: ${why}` }] };
  }
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
