import { parse } from 'yaml';
import type { PackageStyle } from './packages';
import type { Notes } from './types';

/** What a work package's prompt file (`tasks/WP01-setup.md`) says of it in its frontmatter. */
export interface PromptFile {
  /** The file as notes name it: its path from the plan's folder. */
  file: string;
  id: string;
  title?: string;
  /** Absent when the frontmatter has no `dependencies:` key. */
  dependencies?: { ids: string[]; line: number };
  /** spec-kitty's lane: planned, doing, for_review, done. */
  lane?: string;
  /** The whole file: what an agent working on the package reads. */
  text: string;
}

const FRONTMATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/;

/**
 * The frontmatter of a prompt file: `work_package_id` (or the id in the file name), `title`,
 * `dependencies`, `lane`. Undefined, with a warning, when the file names no package.
 */
export function readPromptFile(
  file: string,
  text: string,
  style: PackageStyle,
  notes: Notes,
): PromptFile | undefined {
  const data = frontmatter(file, text, notes);
  const named = typeof data.work_package_id === 'string' ? data.work_package_id : '';
  const [id] = style.idsIn(named || (file.split('/').at(-1) ?? ''));
  if (!id) {
    notes.warning(
      1,
      'names no work package (work_package_id, or WP01 in its name): left out',
      file,
    );
    return undefined;
  }
  const prompt: PromptFile = { file, id, text };
  if (typeof data.title === 'string' && data.title.trim()) prompt.title = data.title.trim();
  if (typeof data.lane === 'string') prompt.lane = data.lane;
  const dependencies = readList(data.dependencies);
  if (dependencies) {
    const ids = dependencies.flatMap((dep) => style.idsIn(dep));
    prompt.dependencies = { ids: [...new Set(ids)], line: keyLine(text, 'dependencies') };
  }
  return prompt;
}

function frontmatter(file: string, text: string, notes: Notes): Record<string, unknown> {
  const match = FRONTMATTER.exec(text);
  if (!match) return {};
  try {
    const data: unknown = parse(match[1] ?? '');
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      return data as Record<string, unknown>;
    }
  } catch (error) {
    notes.warning(
      1,
      `cannot read the frontmatter: ${(error as Error).message.split('\n')[0]}`,
      file,
    );
  }
  return {};
}

/** `[WP01, WP02]`, `"[]"`, `WP01, WP02`: a list of strings; undefined when absent. */
function readList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string')
    return value
      .replace(/^\[|\]$/g, '')
      .split(',')
      .filter(Boolean);
  return [];
}

function keyLine(text: string, key: string): number {
  const index = text.split(/\r?\n/).findIndex((line) => line.startsWith(`${key}:`));
  return index < 0 ? 1 : index + 1;
}
