import type { PackageStyle } from './packages';

// `WP01`, `WP-01`, `WP-A1`, `WPB2a`; `Work Package 1` names WP01.
const WP_ID = String.raw`WP[-_]?(?:[A-Z]{1,3}[-_]?)?\d+[a-z]?`;
const HEADING = new RegExp(
  String.raw`^(?:work\s*package\s*[:#]?\s*)?(${WP_ID})\b\s*[:.\u2013\u2014-]?\s*(.*)$`,
  'i',
);
const NUMBERED_HEADING = /^work\s*package\s+(\d{1,3})\b\s*[:.\u2013\u2014-]?\s*(.*)$/i;
const ID = new RegExp(String.raw`\b${WP_ID}\b`, 'gi');
// `WP01-04`, `WP01–WP04`, `WP01 to WP04`, `WP01..WP04`: every package from the first to the last.
const RANGE =
  /\bWP[-_]?(\d+)\s*(?:-|–|—|\.\.\.?|…|\bto\b|\bthrough\b|\bthru\b)\s*(?:WP[-_]?)?(\d+)\b/gi;
const MAX_RANGE = 99;

/** `wp-01`, `WP_01` and `WP01` are the same package: `WP01`; `wp_a1` is `WP-A1`. */
export function canonicalWpId(text: string): string {
  const upper = text.toUpperCase();
  const letters = /^WP[-_]?([A-Z]{1,3})[-_]?(\d+[A-Z]?)$/.exec(upper);
  if (letters) return `WP-${letters[1]}${letters[2]}`;
  return upper.replace(/[-_]/g, '');
}

/**
 * Work-package plans: `## Work Package WP01: Title (Priority: P0, MVP) 🎯 Tag` at any level,
 * the id bold or plain; `WP01: Title` alone and `Work Package 1 — Title` are package headings too.
 */
export const workPackageStyle: PackageStyle = {
  heading(text) {
    const numbered = NUMBERED_HEADING.exec(text.trim());
    if (numbered) {
      return { id: `WP${(numbered[1] ?? '').padStart(2, '0')}`, rest: (numbered[2] ?? '').trim() };
    }
    const match = HEADING.exec(text.trim());
    if (!match) return undefined;
    const rest = (match[2] ?? '').trim();
    // `WP01 + WP02` or `WP01 → WP02` is a summary line, not a package.
    if (/^[+,&→>]/.test(rest)) return undefined;
    return { id: canonicalWpId(match[1] ?? ''), rest };
  },
  idsIn(text) {
    const found: Array<{ at: number; ids: string[] }> = [];
    let rest = text;
    for (const range of text.matchAll(RANGE)) {
      const ids = expandRange(range[1] ?? '', range[2] ?? '');
      if (!ids) continue;
      found.push({ at: range.index, ids });
      rest =
        rest.slice(0, range.index) +
        ' '.repeat(range[0].length) +
        rest.slice(range.index + range[0].length);
    }
    for (const match of rest.matchAll(ID))
      found.push({ at: match.index, ids: [canonicalWpId(match[0])] });
    return found.sort((a, b) => a.at - b.at).flatMap((entry) => entry.ids);
  },
  title(rest) {
    return { title: rest };
  },
};

/** `01`, `04` → WP01 … WP04; undefined when the second number is not after the first. */
function expandRange(first: string, last: string): string[] | undefined {
  const from = Number(first);
  const to = Number(last);
  if (!(to > from) || to - from > MAX_RANGE) return undefined;
  const width = first.length;
  return Array.from(
    { length: to - from + 1 },
    (_, i) => `WP${String(from + i).padStart(width, '0')}`,
  );
}

/** `Work Packages: Identity-Aware CLI Event Sync` → `Identity-Aware CLI Event Sync`. */
export function workPackagesTitle(heading: string): string {
  return heading.replace(/^work\s*packages?\s*(?:plan)?\s*[:\u2013\u2014-]\s*/i, '').trim();
}
