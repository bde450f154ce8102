import { parseDuration } from '../domain/duration';

/**
 * How an "Estimated Size" becomes story points or an estimate:
 * - lines of code (`~350 lines`, `200 LOC`): up to 50 → 1 point, 150 → 2, 300 → 3, 500 → 5,
 *   800 → 8, more → 13;
 * - a T-shirt size: XS/tiny 1, S/small 2, M/medium 3, L/large 5, XL/huge 8;
 * - points (`3 points`, `5 SP`, `2 story points`): taken as they are;
 * - a duration (`2h`, `90 minutes`, `1.5 hours`, `2 days`): the package's `estimate`.
 */
export interface Size {
  points?: number;
  estimate?: string;
}

const LINE_POINTS: Array<[maxLines: number, points: number]> = [
  [50, 1],
  [150, 2],
  [300, 3],
  [500, 5],
  [800, 8],
];

const TSHIRT: Record<string, number> = {
  xs: 1,
  'extra small': 1,
  tiny: 1,
  s: 2,
  small: 2,
  m: 3,
  medium: 3,
  l: 5,
  large: 5,
  xl: 8,
  'extra large': 8,
  huge: 8,
};

const UNIT: Record<string, string> = {
  m: 'm',
  min: 'm',
  minute: 'm',
  h: 'h',
  hr: 'h',
  hour: 'h',
  d: 'd',
  day: 'd',
};
const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 1_440 };

/** The size of a package as points or an estimate; undefined when the text says neither. */
export function readSize(text: string): Size | undefined {
  const plain = text
    .replace(/`/g, '')
    .replace(/^\s*(?:~|≈|about|approx\.?|approximately|around)\s*/i, '')
    .trim();
  return (
    linesSize(plain) ??
    pointsSize(plain) ??
    tshirtSize(plain) ??
    durationSize(plain) ??
    sizeInside(plain)
  );
}

/** `5 subtasks, ~350 lines` or `6 files, 4 subtasks, M.`: the lines, else the T-shirt size. */
function sizeInside(text: string): Size | undefined {
  const lines = /~?\s*(\d[\d,_]*)(?:\s*[-–]\s*\d[\d,_]*)?\s*(?:lines?|loc|sloc)\b/i.exec(text);
  if (lines) return linesSize(`${lines[1]} lines`);
  const tshirt = /(?:^|[,;]\s*)(XS|S|M|L|XL)(?:\s*[-–]\s*(?:XS|S|M|L|XL))?\b/.exec(text);
  return tshirt ? tshirtSize(tshirt[1] ?? '') : undefined;
}

export function pointsForLines(lines: number): number {
  for (const [maxLines, points] of LINE_POINTS) if (lines <= maxLines) return points;
  return 13;
}

function linesSize(text: string): Size | undefined {
  const match = /^(\d[\d,_]*)\s*(?:lines?|loc|sloc)\b/i.exec(text);
  if (!match) return undefined;
  return { points: pointsForLines(Number((match[1] ?? '').replace(/[,_]/g, ''))) };
}

function pointsSize(text: string): Size | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(?:story\s+)?(?:points?|pts?|sp)\b/i.exec(text);
  if (!match) return undefined;
  return { points: Math.round(Number(match[1])) };
}

function tshirtSize(text: string): Size | undefined {
  const match = /^(extra small|extra large|[a-z]+)\b/i.exec(text);
  const points = match && TSHIRT[(match[1] ?? '').toLowerCase()];
  return points ? { points } : undefined;
}

function durationSize(text: string): Size | undefined {
  const compact = text.replace(/\s+/g, '').toLowerCase();
  if (parseDuration(compact) !== undefined) return { estimate: compact };
  const match = /^(\d+(?:\.\d+)?)\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d)\b/i.exec(text);
  if (!match) return undefined;
  const unit = UNIT[(match[2] ?? '').toLowerCase().replace(/s$/, '')] ?? 'h';
  const minutes = Math.round(Number(match[1]) * (UNIT_MINUTES[unit] ?? 60));
  if (minutes <= 0) return undefined;
  if (minutes % 1_440 === 0) return { estimate: `${minutes / 1_440}d` };
  if (minutes % 60 === 0) return { estimate: `${minutes / 60}h` };
  return { estimate: `${minutes}m` };
}
