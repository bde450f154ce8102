import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { importMarkdown } from './index';
import type { ImportOptions, ImportResult } from './index';
import { readPromptFile } from './prompt-files';
import type { PromptFile } from './prompt-files';
import { Notes } from './types';
import { workPackageStyle } from './work-packages';

/** The plan of a feature folder, and where its prompt files are. */
export const PLAN_FILE = 'tasks.md';
const PROMPTS_DIR = 'tasks';
const PROMPT_FILE = /^WP.*\.md$/i;

export interface FolderImport extends ImportResult {
  /** The plan's path, for notes that name no other file. */
  plan: string;
}

/**
 * Imports a spec-kitty feature folder as it is: `tasks.md` and the prompt files under
 * `tasks/` (`tasks/WP01-setup.md`, in lane folders too), whose frontmatter is the truth about
 * dependencies where it lists any. Notes about a prompt file name it from the folder.
 */
export async function importFolder(
  dir: string,
  options: ImportOptions = {},
): Promise<FolderImport> {
  const plan = path.join(dir, PLAN_FILE);
  const text = await readFile(plan, 'utf8');
  const notes = new Notes();
  const prompts: PromptFile[] = [];
  for (const file of await promptFiles(dir)) {
    const content = await readFile(path.join(dir, file), 'utf8');
    const prompt = readPromptFile(file, content, workPackageStyle, notes);
    if (prompt) prompts.push(prompt);
  }
  const result = importMarkdown(text, {
    fallbackId: path.basename(path.resolve(dir)),
    ...options,
    prompts,
  });
  return {
    ...result,
    plan,
    problems: [...result.problems, ...notes.problems],
    warnings: [...result.warnings, ...notes.warnings],
  };
}

/** Prompt files under `tasks/`, as paths from the folder with `/`, sorted. */
async function promptFiles(dir: string): Promise<string[]> {
  const root = path.join(dir, PROMPTS_DIR);
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && PROMPT_FILE.test(entry.name))
    .map((entry) =>
      path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    )
    .sort();
}
