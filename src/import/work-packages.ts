import type { PackageStyle } from './packages';

const HEADING = /^(?:work\s*package\s*[:#]?\s*)?(WP[-_]?\d+[a-z]?)\b\s*[:.\u2013\u2014-]?\s*(.*)$/i;
const ID = /\bWP[-_]?\d+[a-z]?\b/gi;

/** `wp-01`, `WP_01` and `WP01` are the same package: `WP01`. */
export function canonicalWpId(text: string): string {
  return text.toUpperCase().replace(/[-_]/g, '');
}

/**
 * Work-package plans: `## Work Package WP01: Title (Priority: P0, MVP) 🎯 Tag` at any level,
 * the id bold or plain; `WP01: Title` alone is a package heading too.
 */
export const workPackageStyle: PackageStyle = {
  heading(text) {
    const match = HEADING.exec(text.trim());
    if (!match) return undefined;
    const rest = (match[2] ?? '').trim();
    // `WP01 + WP02` or `WP01 → WP02` is a summary line, not a package.
    if (/^[+,&→>]/.test(rest)) return undefined;
    return { id: canonicalWpId(match[1] ?? ''), rest };
  },
  idsIn(text) {
    return [...text.matchAll(ID)].map((match) => canonicalWpId(match[0]));
  },
  title(rest) {
    return { title: rest };
  },
};

/** `Work Packages: Identity-Aware CLI Event Sync` → `Identity-Aware CLI Event Sync`. */
export function workPackagesTitle(heading: string): string {
  return heading.replace(/^work\s*packages?\s*(?:plan)?\s*[:\u2013\u2014-]\s*/i, '').trim();
}
