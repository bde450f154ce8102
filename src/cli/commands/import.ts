import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { importMarkdown, sprintYaml } from '../../import';
import type { ImportNote, ImportResult } from '../../import';
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
 * `sprintwave import <file.md>`: a work-packages or sprint-pods document becomes a sprint file.
 * What cannot be read goes to stderr with its line; exit 2 only when no sprint could be made.
 */
export async function importCommand(
  file: string,
  options: ImportOptions,
  io: CliIO,
): Promise<number> {
  const text = await readInputFile(file);
  const result = importMarkdown(text, {
    id: options.id,
    repo: options.repo,
    run: options.run,
    fallbackId: path.basename(file).replace(/\.[^.]*$/, ''),
  });
  const source = path.basename(file);
  for (const note of result.problems) io.err(describe(source, note, 'problem'));
  for (const note of result.warnings) io.err(describe(source, note, 'warning'));
  if (!result.sprint) {
    io.err(`error: ${file}: no sprint could be made of it`);
    return EXIT.badInput;
  }
  const yaml = sprintYaml(result.sprint, header(source, result, options));
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
