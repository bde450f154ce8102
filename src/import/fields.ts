import type { MdBlock, MdItem, MdLine, MdSection } from './markdown';
import { normalizeLabel, splitLabel } from './text';

/** What a labelled part of a package means to the importer. */
export type FieldKind =
  'description' | 'test' | 'size' | 'dependencies' | 'tasks' | 'priority' | 'scope' | 'ignored';

const KINDS: Record<FieldKind, string[]> = {
  description: ['goal', 'objective', 'summary', 'description', 'purpose'],
  test: [
    'independent test',
    'test',
    'tests',
    'acceptance',
    'acceptance criteria',
    'success criteria',
    'definition of done',
    'done when',
    'verification',
  ],
  size: [
    'estimated size',
    'estimated prompt size',
    'prompt size',
    'size',
    'estimate',
    'estimated effort',
    'effort',
    'story points',
    'points',
  ],
  dependencies: [
    'dependencies',
    'dependency',
    'depends on',
    'depends',
    'deps',
    'requires',
    'blocked by',
  ],
  tasks: [
    'included subtasks',
    'subtasks',
    'tasks',
    'checklist',
    'requirements',
    'work items',
    'steps',
  ],
  priority: ['priority'],
  scope: ['mvp', 'scope'],
  ignored: [
    'prompt',
    'location',
    'implementation notes',
    'notes',
    'parallel opportunities',
    'risks & mitigations',
    'risks',
    'suggested implementation',
    'suggested structure',
    'key features',
  ],
};

const KIND_OF = new Map<string, FieldKind>(
  (Object.entries(KINDS) as Array<[FieldKind, string[]]>).flatMap(([kind, labels]) =>
    labels.map((label) => [label, kind] as const),
  ),
);

export function fieldKind(label: string): FieldKind | undefined {
  return KIND_OF.get(normalizeLabel(label));
}

/** A labelled part of a package: `**Goal**: …`, or a `### Dependencies` heading and what follows. */
export interface Field {
  kind: FieldKind;
  /** The label as normalized (`requirements`, `included subtasks`). */
  label: string;
  line: number;
  /** Text after `Label:` on the same line; empty when the content follows below. */
  value: string;
  /** Paragraph lines that follow. */
  lines: MdLine[];
  /** List items that follow. */
  items: MdItem[];
}

/**
 * The fields of a package: labelled lines in its own text, and its subsections. A label alone
 * on its line (`**Requirements**:`) takes the blocks after it; a known label starts a new field.
 */
export function collectFields(own: readonly MdBlock[], subsections: readonly MdSection[]): Field[] {
  const fields: Field[] = [];
  collectFromBlocks(own, fields, undefined);
  for (const section of subsections) {
    const kind = fieldKind(section.heading.text);
    const field: Field | undefined = kind && {
      kind,
      label: normalizeLabel(section.heading.text),
      line: section.heading.line,
      value: '',
      lines: [],
      items: [],
    };
    if (field) fields.push(field);
    collectFromBlocks(section.blocks, fields, field);
  }
  return fields;
}

function collectFromBlocks(
  blocks: readonly MdBlock[],
  fields: Field[],
  start: Field | undefined,
): void {
  let current = start;
  const open = (field: Field): void => {
    fields.push(field);
    current = field;
  };
  for (const block of blocks) {
    if (block.kind === 'paragraph') {
      for (const line of block.lines.flatMap(splitInlineLabels)) {
        const labelled = labelledField(line);
        if (labelled) open(labelled);
        else current?.lines.push(line);
      }
    } else if (block.kind === 'list') {
      const checklist = isChecklist(block.items);
      for (const item of block.items) {
        const [first, ...more] = splitInlineLabels({ text: item.text, line: item.line });
        const labelled = first && labelledField(first);
        // In a list of subtasks or criteria, `- Support styles: files; network` is one of them.
        const inList = current?.kind === 'tasks' || current?.kind === 'test';
        if (labelled && !(inList && !fieldKind(labelled.label))) {
          open(labelled);
          for (const line of more) {
            const next = labelledField(line);
            if (next) open(next);
            else current?.lines.push(line);
          }
          collectFromBlocks(item.blocks, fields, current);
          continue;
        }
        if (checklist && current?.kind !== 'tasks' && current?.kind !== 'test') {
          open({
            kind: 'tasks',
            label: 'checklist',
            line: item.line,
            value: '',
            lines: [],
            items: [],
          });
        }
        current?.items.push(item);
      }
    }
  }
}

/** `- [ ] …` or `- [x] …` items: a checklist wherever it stands. */
export const CHECKBOX = /^\[( |x|X)\]\s+/;

function isChecklist(items: readonly MdItem[]): boolean {
  return items.some((item) => CHECKBOX.test(item.text));
}

/**
 * A line that starts with a label: a field of its kind when the importer knows the label, an
 * ignored field otherwise (so that `Owned files:` after `Dependencies:` is not read as one).
 * `WP01: …` and `T003: …` are not labels.
 */
function labelledField(line: MdLine): Field | undefined {
  const split = splitLabel(line.text);
  if (!split) return undefined;
  const kind = fieldKind(split.label);
  if (!kind && (/\d/.test(split.label) || split.label.split(' ').length > MAX_LABEL_WORDS)) {
    return undefined;
  }
  return {
    kind: kind ?? 'ignored',
    label: split.label,
    line: line.line,
    value: split.value,
    lines: [],
    items: [],
  };
}

const MAX_LABEL_WORDS = 4;

// Labels that often follow others on one line: `**Priority**: P1. **Dependencies**: none.`
const INLINE_LABELS = [
  ...Object.values(KINDS).flat(),
  'parallelization',
  'parallel',
  'owned files',
  'owns',
  'requirement refs',
  'blocks',
  'enables',
  'no conflicts with',
  'sequence',
  'status',
  'execution mode',
  'risk',
  'mitigation',
  'closes',
  'issues',
  'plan concerns',
];
const INLINE_LABEL = new RegExp(
  String.raw`(?:[.;)]|\s[·|])\s+(?=(?:${INLINE_LABELS.map(escapeRegExp).join('|')})\s*:)`,
  'gi',
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `Priority: P1. Dependencies: none.` → two lines at the same line number. */
function splitInlineLabels(line: MdLine): MdLine[] {
  const cuts = [...line.text.matchAll(INLINE_LABEL)].map((match) => match.index + match[0].length);
  if (!cuts.length) return [line];
  const starts = [0, ...cuts];
  return starts
    .map((start, i) => line.text.slice(start, starts[i + 1]).trim())
    .filter(Boolean)
    .map((text) => ({ text, line: line.line }));
}

/** Every line of text of a field, its value first: items as `- text`. */
export function fieldText(field: Field): string {
  const parts: string[] = [];
  if (field.value) parts.push(field.value);
  parts.push(...field.lines.map((line) => line.text));
  parts.push(...field.items.map((item) => `- ${itemText(item)}`));
  return parts.join('\n').trim();
}

/** An item's text with its nested items after it: `Support styles: files; network`. */
export function itemText(item: MdItem): string {
  const nested = item.blocks
    .filter((block) => block.kind === 'list')
    .flatMap((block) => block.items.map(itemText))
    .filter(Boolean);
  if (!nested.length) return item.text;
  return `${item.text}${item.text.endsWith(':') ? ' ' : ': '}${nested.join('; ')}`;
}

/** Each line of a field with where it is: the value, paragraph lines, items. */
export function fieldLines(field: Field): MdLine[] {
  const out: MdLine[] = [];
  if (field.value) out.push({ text: field.value, line: field.line });
  out.push(...field.lines);
  out.push(...field.items.map((item) => ({ text: item.text, line: item.line })));
  return out;
}
