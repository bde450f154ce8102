import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { importMarkdown, sprintYaml } from '../../import';
import type { ImportNote, ImportResult } from '../../import';
import { importFolder, PLAN_FILE } from '../../import/folder';
import { CliError, EXIT } from '../errors';
import type { CliIO } from '../io';
import { readInputFile } from '../sprint-file';

export interface ImportOptions {
  /** Write the sprint file here instead of to stdout. */
  output?: string;
  /** Overwrite an existing output file. */
  force?: boolean;
  id?: string;
  repo?: string;
  run?: string;
}

/**
 * `sprintwave import <file.md | folder>`: a work-packages or sprint-pods document, or a
 * spec-kitty feature folder (`tasks.md` and its `tasks/WP*.md` prompt files), becomes a sprint
 * file. What cannot be read goes to stderr with its file and line; exit 2 only when no sprint
 * could be made.
 */
export async function importCommand(
  target: string,
  options: ImportOptions,
  io: CliIO,
): Promise<number> {
  const folder = await isFolder(target);
  const plan = folder ? path.join(target, PLAN_FILE) : target;
  const result = folder
    ? await importFolder(target, { id: options.id, repo: options.repo, run: options.run })
    : importMarkdown(await readInputFile(target), {
        id: options.id,
        repo: options.repo,
        run: options.run,
        fallbackId: path.basename(target).replace(/\.[^.]*$/, ''),
      });
  const source = folder ? plan : path.basename(target);
  const shown = (note: ImportNote): string =>
    note.file ? path.join(folder ? target : path.dirname(target), note.file) : source;
  for (const note of result.problems) io.err(describe(shown(note), note, 'problem'));
  for (const note of result.warnings) io.err(describe(shown(note), note, 'warning'));
  if (!result.sprint) {
    io.err(`error: ${target}: no sprint could be made of it`);
    return EXIT.badInput;
  }
  const yaml = sprintYaml(result.sprint, header(folder ? target : source, result, options));
  if (!options.output) {
    io.out(yaml);
    return EXIT.ok;
  }
  await writeSprintFile(options.output, yaml, options.force ?? false);
  const count = (result.sprint.packages as unknown[]).length;
  io.err(
    `Wrote ${options.output}: sprint ${String(result.sprint.id)} with ${count} packages. Check it with: sprintwave plan ${options.output}`,
  );
  return EXIT.ok;
}

/** A folder to import as a spec-kitty feature folder; anything else is read as a file. */
async function isFolder(target: string): Promise<boolean> {
  if (!target) return false;
  const found = await stat(target).catch(() => undefined);
  if (!found?.isDirectory()) return false;
  const plan = await stat(path.join(target, PLAN_FILE)).catch(() => undefined);
  if (!plan?.isFile()) {
    throw new CliError(
      `${target} is a folder without ${PLAN_FILE}: give a plan file, or a spec-kitty feature folder`,
      EXIT.badInput,
    );
  }
  return true;
}

async function writeSprintFile(file: string, yaml: string, force: boolean): Promise<void> {
  try {
    await writeFile(file, yaml, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new CliError(`${file} exists already: pass --force to overwrite it`, EXIT.badInput);
    }
    throw new CliError(`cannot write ${file}: ${code ?? String(error)}`, EXIT.badInput);
  }
}

function describe(source: string, note: ImportNote, kind: 'problem' | 'warning'): string {
  return `${source}:${note.line}: ${kind}: ${note.message}`;
}

function header(source: string, result: ImportResult, options: ImportOptions): string {
  const lines = [`Imported from ${source} (${result.kind ?? 'plan'}).`];
  if (!options.run) {
    lines.push(
      'Every package is external: an agent or a person reports its progress and completion over',
      'the HTTP API (POST /sprints/:id/packages/:wp/...). Give a package `run: <command>` instead',
      'of `external: true` to have sprintwave run it.',
    );
  }
  return lines.join('\n');
}
