import { fieldLines } from './fields';
import type { Field } from './fields';
import type { MdLine } from './markdown';
import { withoutParentheticals } from './text';
import type { ImportedPackage, Notes, PackageStyle, StatedDependency } from './types';

const NONE =
  /^(?:(?:none|no dependencies|no deps|nothing|n\/a|independent|foundation)\b|[-–—]+(?:\s|$))/i;
const VERB =
  /\b(?:depends? on|depending on|after|requires?|needs?|blocked by|builds? on|waits? for|follows|consumes)\b/i;
// What a dependency line says about other packages that is not a dependency of this one.
const NOT_DEPENDENCY =
  /\b(?:blocks|blocking|enables|unblocks|parallel|concurrent(?:ly)?|alongside|no conflicts?|conflicts? with|(?:non-?)?overlap|independent of|required by|needed by|consumed by|used by|feeds|before|prerequisite (?:for|of)|foundation for|depends? on (?:this|it)|downstream|soft|optional(?:ly)?|not (?:a )?(?:hard )?(?:dep|block|requir)|does not (?:depend|need|require)|doesn't (?:depend|need|require)|no (?:hard |code )?(?:dependency|coupling))\b/i;
const ALL_PREVIOUS = /\ball (?:the )?(?:previous|prior|preceding|earlier|above)\b/i;
const ALL_OTHERS = /\ball (?:the )?other\b|\ball (?:WPs|work packages|packages)\b/i;
const CLAUSE = /(?<=[.!?])\s+|;\s*|\s[—–]\s|\s-\s/;

/** What a package's Dependencies field says: the packages it names, or "all previous". */
export interface ReadDependencies {
  deps: StatedDependency[];
  all?: { scope: 'previous' | 'others'; line: number };
}

/**
 * `Depends on **WP01**`, `WP01, WP02 (schema)`, `WP01-04`, `None (foundation package)`,
 * `All previous WPs`. Clauses that speak of other directions (`Blocks WP05`, `Can run in
 * parallel with WP02`, `No conflicts with WP03`) are not dependencies; nor is the package itself.
 */
export function readDependencies(
  pkg: ImportedPackage,
  field: Field,
  style: PackageStyle,
  notes: Notes,
): ReadDependencies {
  const read: ReadDependencies = { deps: [] };
  for (const { text, line } of statements(field)) {
    const plain = withoutParentheticals(text);
    if (NONE.test(plain.replace(/^[\s*_`]+/, ''))) continue;
    // `All conversion WPs (WP02-WP11) first`: the remark names them when the text does not.
    const named =
      readClauses(plain, pkg, line, style, read) || readClauses(text, pkg, line, style, read);
    if (!named && !style.idsIn(plain).length) {
      // `Depends on the auth work` means a dependency that cannot be found; other prose does not.
      (VERB.test(plain) ? notes.problem : notes.warning).call(
        notes,
        line,
        `${pkg.id}: cannot read the dependency “${text}”: write “Depends on WP01, WP02” or “None”`,
      );
    }
  }
  return read;
}

/** Adds what the clauses of a text name; false when they name no dependency. */
function readClauses(
  text: string,
  pkg: ImportedPackage,
  line: number,
  style: PackageStyle,
  read: ReadDependencies,
): boolean {
  let named = false;
  for (const clause of text.split(CLAUSE)) {
    const found = clauseDependencies(clause, style);
    if (!found) continue;
    named = true;
    if (found === 'previous' || found === 'others') read.all ??= { scope: found, line };
    else {
      // `WP03 builds on WP02`, said under WP03, names itself as the subject, not a dependency.
      const ids = found.verb ? found.ids : found.ids.filter((id) => id !== pkg.id);
      read.deps.push(...ids.map((id) => ({ id, line })));
    }
  }
  return named;
}

/** The ids a clause depends on; undefined when it names none as dependencies. */
function clauseDependencies(
  clause: string,
  style: PackageStyle,
): { ids: string[]; verb: boolean } | 'previous' | 'others' | undefined {
  const not = NOT_DEPENDENCY.exec(clause);
  const verb = VERB.exec(clause);
  let text = verb ? clause.slice(verb.index + verb[0].length) : clause;
  if (not) {
    if (!verb || verb.index > not.index) return undefined;
    text = clause.slice(verb.index + verb[0].length, not.index);
  }
  if (ALL_PREVIOUS.test(text)) return 'previous';
  if (ALL_OTHERS.test(text)) return 'others';
  const ids = style.idsIn(text);
  return ids.length ? { ids, verb: Boolean(verb) } : undefined;
}

/** The field's value with the paragraph lines that continue it, then each list item. */
function statements(field: Field): MdLine[] {
  const lines = fieldLines(field);
  const items = new Set(field.items.map((item) => item.line));
  const out: MdLine[] = [];
  for (const line of lines) {
    const last = out.at(-1);
    if (last && !items.has(line.line) && !items.has(last.line)) last.text += ` ${line.text}`;
    else out.push({ ...line });
  }
  return out;
}
