import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sprintSpecSchema } from '../src/schemas/sprint-spec';

/** `npm run docs:sprint-file` writes the field reference of the sprint file here. */
export const REFERENCE_FILE = path.join(__dirname, '..', 'docs', 'sprint-file-reference.md');

/** The part of a JSON Schema (as zod writes it) that the reference reads. */
interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  'x-type'?: string;
  'x-limit'?: string;
}

interface Section {
  title: string;
  schema: JsonSchema;
}

/** The sprint file's fields as Markdown tables, one per object, from its zod schema. */
export function sprintFileReference(): string {
  const root = z.toJSONSchema(sprintSpecSchema, { io: 'input', unrepresentable: 'any' });
  const sections: Section[] = [{ title: 'The sprint', schema: root as JsonSchema }];
  const lines = [
    '# The sprint file, field by field',
    '',
    'Generated from `src/schemas/sprint-spec.ts` by `npm run docs:sprint-file`. The guide is',
    '[sprint-file.md](sprint-file.md). Durations are a number and a unit: `90s`, `30m`, `2h`,',
    '`1h30m`. Unknown fields are refused.',
  ];
  for (let i = 0; i < sections.length; i++) {
    const { title, schema } = sections[i] as Section;
    lines.push('', `## ${title}`, '', ...table(schema, title, sections));
  }
  return `${lines.join('\n')}\n`;
}

function table(schema: JsonSchema, at: string, sections: Section[]): string[] {
  const prefix = at === 'The sprint' ? '' : `${at.replace(/`/g, '')}.`;
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties ?? {}).map(([name, field]) => {
    for (const nested of objectsIn(field)) {
      sections.push({
        title: `\`${prefix}${name}${nested.list ? '[]' : ''}\``,
        schema: nested.schema,
      });
    }
    const byDefault =
      field.default !== undefined
        ? `\`${JSON.stringify(field.default)}\``
        : required.has(name)
          ? 'required'
          : '—';
    return `| \`${name}\` | ${typeOf(field)} | ${byDefault} | ${cell(limitsOf(field))} | ${cell(field.description ?? '')} |`;
  });
  return [
    '| Field | Type | Default | Limits | Description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

/** The objects a field holds (itself, its list's items, a variant of it), each documented below. */
function objectsIn(field: JsonSchema): Array<{ schema: JsonSchema; list: boolean }> {
  if (field.type === 'object' && field.properties) return [{ schema: field, list: false }];
  if (field.type === 'array' && field.items?.properties)
    return [{ schema: field.items, list: true }];
  return (field.anyOf ?? []).flatMap(objectsIn);
}

function typeOf(field: JsonSchema): string {
  if (field['x-type']) return field['x-type'];
  if (field.enum) return field.enum.map((value) => `\`${String(value)}\``).join(' \\| ');
  if (field.anyOf) return field.anyOf.map(typeOf).join(' or ');
  if (field.type === 'array' && field.items?.properties) return 'list of objects (below)';
  if (field.type === 'array') return `list of ${field.items ? typeOf(field.items) : 'values'}`;
  if (field.type === 'object') return 'object (below)';
  if (field.type === 'integer') return 'whole number';
  return field.type ?? 'any';
}

/** Limits as people read them; zod's bounds of a safe integer say nothing and are left out. */
function limitsOf(field: JsonSchema): string {
  const limits: string[] = [];
  const bound = (n: number | undefined) =>
    n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined;
  if (field.exclusiveMinimum !== undefined) limits.push(`more than ${field.exclusiveMinimum}`);
  const min = bound(field.minimum);
  const max = bound(field.maximum);
  if (min !== undefined && max !== undefined) limits.push(`${min} to ${max}`);
  else if (min !== undefined) limits.push(`at least ${min}`);
  else if (max !== undefined) limits.push(`at most ${max}`);
  if (field.minLength === 1) limits.push('not empty');
  if (field.maxLength !== undefined) limits.push(`at most ${field.maxLength} characters`);
  if (field.minItems !== undefined) limits.push(`at least ${field.minItems}`);
  if (field.maxItems !== undefined) limits.push(`at most ${field.maxItems}`);
  if (field['x-limit']) limits.push(field['x-limit']);
  else if (field.pattern) limits.push(`matches \`${field.pattern}\``);
  if (field.type === 'array' && field.items && !field.items.properties) {
    const each = limitsOf(field.items);
    if (each) limits.push(`each ${each}`);
  }
  if (field.anyOf) {
    const variants = field.anyOf.filter((variant) => !variant.properties).map(limitsOf);
    limits.push(...variants.filter(Boolean));
  }
  return limits.join('; ');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

if (require.main === module) {
  writeFileSync(REFERENCE_FILE, sprintFileReference());
  process.stdout.write(`Wrote ${path.relative(process.cwd(), REFERENCE_FILE)}\n`);
}
