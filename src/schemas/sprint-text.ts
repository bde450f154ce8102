import { LineCounter, isMap, isPair, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { shown } from '../domain/shown';
import type { SpecProblem } from '../domain/spec';

export type TextParse = { ok: true; value: unknown } | { ok: false; problems: SpecProblem[] };

/**
 * Lists and maps in lists and maps: a sprint file needs about five levels. The parser recurses
 * once per level, so a limit far below its stack's keeps the error a clear one.
 */
export const MAX_NESTING = 100;

const TOO_DEEP = `is nested too deeply: lists and maps may nest at most ${MAX_NESTING} levels deep`;

/** The parser's messages can quote the text (an alias name): this much of one is shown. */
const SHOWN_MESSAGE_CHARACTERS = 200;

/**
 * Turns the text of a sprint file into plain data. JSON is a subset of YAML, so one parser
 * serves both; errors carry line and column.
 */
export function parseSprintText(text: string, source = 'sprint file'): TextParse {
  if (text.trim() === '') {
    return { ok: false, problems: [{ path: source, message: 'is empty' }] };
  }
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${source}:${line}:${col}`;
  };
  // logLevel 'error': a warning (a list used as a key) would go to process warnings on every
  // request; such a key is refused by the schema anyway.
  const doc = parseDocument(text, {
    prettyErrors: true,
    uniqueKeys: true,
    logLevel: 'error',
    lineCounter,
  });
  // The parser reports running out of stack, deep down, as a resource exhaustion.
  const exhausted = doc.errors.find((error) => error.code === 'RESOURCE_EXHAUSTION');
  if (exhausted) return fail(at(exhausted.pos[0]), TOO_DEEP);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => ({
        path: at(error.pos[0]),
        message: `is not valid YAML or JSON: ${firstLine(error.message)}`,
      })),
    };
  }
  const deep = deeperThanAllowed(doc);
  if (deep !== undefined) return fail(at(deep), TOO_DEEP);
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (error) {
    // The yaml package throws (instead of reporting) when aliases expand too far: an alias bomb.
    const why = error instanceof Error ? firstLine(error.message) : String(error);
    return fail(source, `cannot be read: ${why}`);
  }
}

function fail(path: string, message: string): TextParse {
  return { ok: false, problems: [{ path, message }] };
}

/** Where the first collection nested deeper than MAX_NESTING starts; walked without recursion. */
function deeperThanAllowed(doc: Document): number | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { node, depth } = next;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_NESTING) return node.range?.[0] ?? 0;
    for (const item of node.items as unknown[]) {
      if (isPair(item))
        stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

function firstLine(message: string): string {
  const line = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  return shown(line, SHOWN_MESSAGE_CHARACTERS);
}
