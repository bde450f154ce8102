/** Small helpers on the text of one heading, line or list item. */

// Pictographs, flags, and the joiners and selectors that combine them.
const EMOJI = /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}]|\u{FE0F}|\u{200D}|\u{20E3}/gu;

export function stripEmoji(text: string): string {
  return text.replace(EMOJI, '').replace(/\s+/g, ' ').trim();
}

/** Lower case, no emoji, no parenthetical, no trailing colon: `Risks & Mitigations`, `estimated size`. */
export function normalizeLabel(text: string): string {
  return stripEmoji(text)
    .replace(/\([^)]*\)/g, '')
    .replace(/[*_:]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** Text with its parenthetical remarks removed: `WP04 (depends on WP02)` → `WP04`. */
export function withoutParentheticals(text: string): string {
  let out = text;
  for (let previous = ''; previous !== out;) {
    previous = out;
    out = out.replace(/\([^()]*\)/g, ' ');
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** The parenthetical remarks of a text, innermost text of each outer group. */
export function parentheticals(text: string): string[] {
  return [...text.matchAll(/\(([^()]*)\)/g)].map((match) => (match[1] ?? '').trim());
}

/** `Identity-Aware CLI Event Sync` → `identity-aware-cli-event-sync`, at most `max` characters. */
export function slugify(text: string, max = 64): string {
  const slug = stripEmoji(text)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= max) return slug;
  const cut = slug.slice(0, max);
  const lastDash = cut.lastIndexOf('-');
  return (lastDash > max / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, '');
}

/** `Label: value` with a label of a few words; undefined for other text. */
export function splitLabel(text: string): { label: string; value: string } | undefined {
  const match = /^([A-Za-z][\w &/'()-]{0,60}?)\s*:\s*(.*)$/.exec(text);
  if (!match) return undefined;
  return { label: normalizeLabel(match[1] ?? ''), value: (match[2] ?? '').trim() };
}
