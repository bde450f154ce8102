import { fittedText } from './fitted-text';
import type { Part } from './fitted-text';
import {
  STATUS_MARK,
  TABLE_HEADER,
  fullStatusLine,
  noteLines,
  overallLines,
  packageRow,
  plural,
  tableHeading,
} from './progress-markdown';
import type { PackageProgress, PackageStatus, SprintProgress } from './progress';

/** The statuses a person should look at, most urgent first. */
const NEEDS_A_PERSON: readonly PackageStatus[] = ['failed', 'blocked', 'in_progress', 'deferred'];

const COUNTED: readonly PackageStatus[] = [
  'completed',
  'in_progress',
  'pending',
  'failed',
  'blocked',
  'cancelled',
  'deferred',
];

/** `**Packages:** 1480 ✅ Completed · 12 🔄 In Progress · 8 ❌ Failed`: every status that has any. */
export function statusCounts(packages: readonly PackageProgress[]): string {
  const counts = new Map<PackageStatus, number>();
  for (const wp of packages) counts.set(wp.status, (counts.get(wp.status) ?? 0) + 1);
  const shown = COUNTED.filter((status) => counts.has(status)).map(
    (status) => `${counts.get(status)} ${STATUS_MARK[status]}`,
  );
  return `**Packages:** ${shown.length ? shown.join(' · ') : 'none'}`;
}

/** Failed, blocked, in progress and deferred packages, in that order and in sprint order within. */
export function packagesNeedingAPerson(state: SprintProgress): PackageProgress[] {
  return NEEDS_A_PERSON.flatMap((status) => state.packages.filter((wp) => wp.status === status));
}

function intro(total: number, attention: number): string {
  const table = `The table of all ${plural(total, 'package')} is too long for a GitHub comment`;
  const which = '(failed, blocked, in progress or deferred)';
  if (attention === 0) return `${table}, and none needs a person ${which}.`;
  const these = attention === 1 ? 'this one needs' : `these ${attention} need`;
  return `${table}; ${these} a person ${which}:`;
}

/**
 * The progress table for a sprint whose full table does not fit in `budget`: counts per status,
 * the rows that need a person (as many as fit, then how many more), and where the rest is.
 */
export function compactProgressTable(state: SprintProgress, now: number, budget: number): string {
  const attention = packagesNeedingAPerson(state);
  const notes = attention.filter((wp) => wp.note);
  const parts: Part[] = [
    [
      ...tableHeading(state),
      '',
      statusCounts(state.packages),
      fullStatusLine(state.id),
      '',
      intro(state.packages.length, attention.length),
    ],
  ];
  if (attention.length) {
    parts.push(['', ...TABLE_HEADER], {
      items: attention.map((wp) => [packageRow(wp, now)]),
      more: (left) => [`| …and ${left} more | | | | |`],
    });
  }
  parts.push(['', ...overallLines(state)]);
  if (notes.length) {
    parts.push([''], {
      items: notes.map(noteLines),
      more: (left) => [`- …and ${plural(left, 'more note')}`],
    });
  }
  return fittedText(parts, budget);
}
