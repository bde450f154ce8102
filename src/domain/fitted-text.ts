/** GitHub refuses an issue comment, issue or pull request body longer than this (HTTP 422). */
export const GITHUB_BODY_LIMIT = 65_536;

/**
 * What a rendered comment may take, in UTF-16 code units (`string.length`). A code unit is never
 * less than a character however GitHub counts them, and the room left over is for the hidden
 * marker line the comment writer appends.
 */
export const COMMENT_BUDGET = 65_000;

/** Items kept whole and in order; those that do not fit are counted on a `more` line instead. */
export interface BoundedList {
  items: string[][];
  more(left: number): string[];
}

/** Lines always shown, or a list that gives way when room runs out. */
export type Part = string[] | BoundedList;

const isList = (part: Part): part is BoundedList => !Array.isArray(part);

/** What `lines` add to a text joined by newlines: each line and its newline. */
function cost(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + line.length + 1, 0);
}

/** Every part with every item: the text as it reads when there is room for all of it. */
export function fullText(parts: readonly Part[]): string {
  return parts.flatMap((part) => (isList(part) ? part.items.flat() : part)).join('\n');
}

/** The most a list's `more` line can take: when none of its items fit. */
function moreCost(list: BoundedList): number {
  return list.items.length ? cost(list.more(list.items.length)) : 0;
}

/**
 * The parts within `budget` code units: fixed lines whole, then each list's items in order
 * while they fit, the rest counted on its `more` line. Nothing is cut inside a line.
 */
export function fittedText(parts: readonly Part[], budget: number): string {
  // Every list keeps room for its `more` line until its turn; +1: the last line has no newline.
  let room =
    budget + 1 - parts.reduce((sum, part) => sum + (isList(part) ? moreCost(part) : cost(part)), 0);
  const lines: string[] = [];
  for (const part of parts) {
    if (!isList(part)) {
      lines.push(...part);
      continue;
    }
    const taken = leadingItems(part, room + moreCost(part));
    lines.push(...taken);
    room -= cost(taken) - moreCost(part);
  }
  return lastResort(lines.join('\n'), budget);
}

/** The list's leading items that fit in `room`, and its `more` line when some are left. */
function leadingItems(list: BoundedList, room: number): string[] {
  const reserve = moreCost(list);
  const lines: string[] = [];
  let left = room;
  let taken = 0;
  for (const item of list.items) {
    const isLast = taken === list.items.length - 1;
    const size = cost(item);
    if (size > left - (isLast ? 0 : reserve)) break;
    lines.push(...item);
    left -= size;
    taken += 1;
  }
  const rest = list.items.length - taken;
  return rest ? [...lines, ...list.more(rest)] : lines;
}

/**
 * Only when the fixed lines alone are too long (a huge title, say): the text up to its last
 * whole line within the budget, or its first characters when even one line is too long.
 */
function lastResort(text: string, budget: number): string {
  if (text.length <= budget) return text;
  const cut = '\n…';
  const end = text.lastIndexOf('\n', budget - cut.length);
  if (end > 0) return `${text.slice(0, end)}${cut}`;
  return `${leadingCharacters(text, budget - 1)}…`;
}

/** At most `units` code units of `text`, never ending on half of a surrogate pair. */
export function leadingCharacters(text: string, units: number): string {
  if (text.length <= units) return text;
  const code = text.charCodeAt(units - 1);
  const highSurrogate = code >= 0xd800 && code <= 0xdbff;
  return text.slice(0, highSurrogate ? units - 1 : units);
}
