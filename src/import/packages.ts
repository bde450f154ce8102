import type { PackageTask, Priority } from '../domain/spec';
import { CHECKBOX, collectFields, fieldText, itemText } from './fields';
import type { Field } from './fields';
import type { MdDocument, MdSection } from './markdown';
import { readSize } from './size';
import { stripEmoji, withoutParentheticals } from './text';
import { readDependencies } from './dependencies';
import type { ImportedPackage, Notes, PackageStyle } from './types';

export type { PackageStyle };

/** A package heading with the sections that belong to it. */
export interface PackageSection {
  section: MdSection;
  id: string;
  rest: string;
  subsections: MdSection[];
}

/** The names of subsections that belong to a package even at its own heading level. */
const PACKAGE_PARTS = new Set([
  'dependencies',
  'included subtasks',
  'subtasks',
  'tasks',
  'implementation notes',
  'parallel opportunities',
  'risks & mitigations',
  'independent test',
  'success criteria',
  'requirements',
]);

/**
 * Splits the document into package sections and the rest. A package's part ends at the next
 * package heading, or at a heading no deeper than its own that is not one of its usual parts.
 */
export function splitPackages(
  doc: MdDocument,
  style: PackageStyle,
): { packages: PackageSection[]; others: MdSection[] } {
  const packages: PackageSection[] = [];
  const others: MdSection[] = [];
  let current: PackageSection | undefined;
  for (const section of doc.all) {
    const heading = style.heading(section.heading.text);
    if (heading) {
      current = { section, ...heading, subsections: [] };
      packages.push(current);
    } else if (current && belongsTo(current, section)) {
      current.subsections.push(section);
    } else {
      current = undefined;
      others.push(section);
    }
  }
  return { packages, others };
}

function belongsTo(pkg: PackageSection, section: MdSection): boolean {
  if (section.heading.level > pkg.section.heading.level) return true;
  const name = stripEmoji(section.heading.text).toLowerCase().replace(/:$/, '');
  return PACKAGE_PARTS.has(name);
}

/** Reads one package section into a package; what it cannot read goes to `notes`. */
export function readPackage(
  part: PackageSection,
  style: PackageStyle,
  notes: Notes,
): ImportedPackage {
  const line = part.section.heading.line;
  const meta = headingMeta(part.rest, line, notes, part.id);
  const { title, description } = style.title(meta.title);
  const pkg: ImportedPackage = {
    id: part.id,
    title: title || part.id,
    line,
    dependsOn: [],
    tasks: [],
    ...(meta.priority ? { priority: meta.priority } : {}),
    ...(meta.mvp !== undefined ? { mvp: meta.mvp } : {}),
  };
  if (!title) notes.warning(line, `${part.id} has no title: it is called ${part.id}`);
  const fields = collectFields(part.section.blocks, part.subsections);
  for (const field of fields) applyField(pkg, field, style, notes);
  if (description) pkg.description = joinText(description, pkg.description);
  return pkg;
}

function applyField(pkg: ImportedPackage, field: Field, style: PackageStyle, notes: Notes): void {
  switch (field.kind) {
    case 'description':
      pkg.description = joinText(pkg.description, fieldText(field));
      return;
    case 'test':
      pkg.test = joinText(pkg.test, fieldText(field));
      return;
    case 'size':
      applySize(pkg, field, notes);
      return;
    case 'dependencies': {
      pkg.dependenciesLine ??= field.line;
      const read = readDependencies(pkg, field, style, notes);
      pkg.dependsOn.push(...read.deps);
      if (read.all) pkg.dependsOnAll ??= read.all;
      return;
    }
    case 'tasks':
      pkg.tasks.push(...readTasks(pkg, field, notes));
      return;
    case 'priority':
      applyPriority(pkg, fieldText(field), field.line, notes);
      return;
    case 'scope':
      applyMeta(pkg, headingMeta(`(${fieldText(field)})`, field.line, notes, pkg.id));
      return;
    case 'ignored':
      return;
  }
}

function joinText(first: string | undefined, second: string | undefined): string | undefined {
  const parts = [first, second].filter((part): part is string => Boolean(part?.trim()));
  return parts.length ? parts.join('\n') : undefined;
}

function applyMeta(pkg: ImportedPackage, meta: HeadingMeta): void {
  if (meta.priority) pkg.priority = meta.priority;
  if (meta.mvp !== undefined) pkg.mvp = meta.mvp;
}

/** `P0 — foundation`, `Foundation (P1 — blocks all)`, `High`: the first priority written. */
function applyPriority(pkg: ImportedPackage, text: string, line: number, notes: Notes): void {
  const found = /\bP[0-9](?=[a-z]?\b)/i.exec(text)?.[0] ?? /^\W*([a-z]+)/i.exec(text)?.[1] ?? '';
  const priority = readPriority(found, pkg.id, line, notes);
  if (priority) pkg.priority = priority;
  else notes.warning(line, `${pkg.id}: cannot read the priority “${text}”: use P0, P1 or P2`);
}

const LOWEST: Priority = 'P2';

/** A priority word; P3 and lower become P2, the lowest a sprint has, with a warning. */
function readPriority(word: string, id: string, line: number, notes: Notes): Priority | undefined {
  const lower = word.toLowerCase();
  const known = PRIORITY_WORDS[lower];
  if (known) return known;
  if (/^p[3-9]$/.test(lower)) {
    notes.warnOnce(
      'lowest priority',
      line,
      `${id}: ${word.toUpperCase()} is read as ${LOWEST}, the lowest priority a sprint has (so are all P3 and lower here)`,
    );
    return LOWEST;
  }
  return undefined;
}

function applySize(pkg: ImportedPackage, field: Field, notes: Notes): void {
  const text = fieldText(field);
  const size = readSize(text);
  if (!size) {
    notes.problem(
      field.line,
      `${pkg.id}: cannot read the size “${text}”: use lines (~300 lines), S/M/L, points (3 points) or a duration (2h)`,
    );
    return;
  }
  if (size.points !== undefined) pkg.points = size.points;
  if (size.estimate !== undefined) pkg.estimate = size.estimate;
}

interface HeadingMeta {
  title: string;
  priority?: Priority;
  mvp?: boolean;
}

const PRIORITY_WORDS: Record<string, Priority> = {
  p0: 'P0',
  p1: 'P1',
  p2: 'P2',
  critical: 'P0',
  highest: 'P0',
  high: 'P0',
  medium: 'P1',
  normal: 'P1',
  low: 'P2',
  lowest: 'P2',
};

// `Title (Priority: P1) 🎯 MVP`: a trailing MVP tag; `Title — P2`: a trailing priority.
const MVP_TAG = /\s*\p{Extended_Pictographic}\uFE0F?\s*MVP\s*$/iu;
const TRAILING_PRIORITY = /\s+[-–—|·:]\s*(P\d)\s*$/i;
const GROUP = /\(([^()]*)\)|\[([^[\]]*)\]/g;

/**
 * `ProjectIdentity Module (Priority: P0, MVP) 🎯 Foundation` → the title, P0, MVP. The group
 * in parentheses or brackets that holds a priority or an MVP mark is taken apart; what follows
 * it is a tag, and a tag that says MVP marks the package MVP.
 */
function headingMeta(rest: string, line: number, notes: Notes, id = ''): HeadingMeta {
  const meta: HeadingMeta = { title: stripEmoji(rest) };
  for (const match of rest.matchAll(GROUP)) {
    const group = match[1] ?? match[2] ?? '';
    const words = group
      .split(/[,;|/]/)
      .map((word) => word.trim())
      .filter(Boolean);
    const read = words.map((word) => readMetaWord(word));
    if (!read.some(Boolean)) continue;
    words.forEach((word, i) => {
      const value = read[i];
      if (!value) notes.warning(line, `ignored “${word}” beside the priority`);
      else if ('priority' in value) {
        const priority = readPriority(value.priority, id || 'the package', line, notes);
        if (priority) meta.priority = priority;
      } else meta.mvp = value.mvp;
    });
    meta.title = stripEmoji(withoutParentheticals(rest.slice(0, match.index)));
    if (MVP_TAG.test(rest)) meta.mvp = true;
    return meta;
  }
  if (MVP_TAG.test(rest)) {
    meta.mvp = true;
    meta.title = stripEmoji(rest.replace(MVP_TAG, ''));
  }
  const trailing = TRAILING_PRIORITY.exec(meta.title);
  const priority = trailing && readPriority(trailing[1] ?? '', id || 'the package', line, notes);
  if (trailing && priority) {
    meta.priority = priority;
    meta.title = meta.title.slice(0, trailing.index).trim();
  }
  return meta;
}

function readMetaWord(word: string): { priority: string } | { mvp: boolean } | undefined {
  const lower = word.toLowerCase().replace(/\s+/g, ' ');
  const priority =
    /^(?:priority\s*[:=]?\s*)?(p\d|critical|high|medium|normal|low)(?:\s+priority)?$/.exec(lower);
  if (priority) return { priority: priority[1] ?? '' };
  if (/^(?:mvp|in mvp|mvp scope|scope\s*:\s*mvp)$/.test(lower)) return { mvp: true };
  if (
    /^(?:post[- ]?mvp|non[- ]?mvp|not mvp|nice[- ]to[- ]have|full scope|stretch|scope\s*:\s*full)$/.test(
      lower,
    )
  ) {
    return { mvp: false };
  }
  return undefined;
}

const TASK_ID = /^([A-Z]{1,6}[-_]?\d+[A-Za-z]?)\b[\s:.)–—-]*/;

/** `- [ ] T001 Create the dataclass` → `{ id: 'T001', title: 'Create the dataclass' }`. */
function readTasks(pkg: ImportedPackage, field: Field, notes: Notes): PackageTask[] {
  const tasks: PackageTask[] = [];
  const requirements = field.label === 'requirements';
  field.items.forEach((item, index) => {
    const checkbox = CHECKBOX.exec(item.text);
    const text = itemText({ ...item, text: item.text.replace(CHECKBOX, '') });
    const idMatch = TASK_ID.exec(text);
    let id = idMatch?.[1];
    const title = (idMatch ? text.slice(idMatch[0].length) : text).trim().replace(/:$/, '');
    if (!id) {
      id = requirements ? `R${index + 1}` : `${pkg.id}.${index + 1}`;
      if (!requirements)
        notes.warning(item.line, `${pkg.id}: a subtask has no id (like T001): it is ${id}`);
    }
    if (!title) {
      notes.problem(item.line, `${pkg.id}: subtask ${id} has no text`);
      return;
    }
    if (tasks.some((task) => task.id === id) || pkg.tasks.some((task) => task.id === id)) {
      notes.problem(item.line, `${pkg.id}: subtask ${id} is listed twice; the second is left out`);
      return;
    }
    tasks.push(checkbox?.[1]?.toLowerCase() === 'x' ? { id, title, done: true } : { id, title });
  });
  return tasks;
}
