import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { shown } from '../domain/shown';
import type { SprintSpec } from '../domain/spec';
import type { Config } from '../runtime/config';
import { checkSprintSpec } from '../schemas/sprint-spec';
import { parseSprintText } from '../schemas/sprint-text';
import { BadInput, NotRunnable } from '../service/errors';
import { runnableProblems } from '../service/runnable';

/** Room for any everyday path, yet one line of an error message. */
const SHOWN_FILE_NAME_CHARACTERS = 300;

/** A file the user named, as text; a missing or unreadable one is bad input naming the file. */
export async function readInputFile(file: string): Promise<string> {
  if (file === '') {
    const what = 'the file name';
    throw new BadInput(what, [{ path: what, message: 'is empty: give the path of a file' }]);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : `cannot be read (${code ?? String(error)})`;
    const name = shownFileName(file);
    throw new BadInput(name, [{ path: name, message: why }]);
  }
}

function shownFileName(file: string): string {
  return shown(file, SHOWN_FILE_NAME_CHARACTERS);
}

/** Reads, parses and validates a sprint file; `repo` is resolved against the file's folder. */
export async function loadSprintFile(file: string): Promise<SprintSpec> {
  const text = await readInputFile(file);
  const name = shownFileName(file);
  const parsed = parseSprintText(text, name);
  if (!parsed.ok) throw new BadInput(name, parsed.problems);
  const checked = checkSprintSpec(parsed.value);
  if (!checked.ok) throw new BadInput(name, checked.problems);
  return {
    ...checked.spec,
    repo: path.resolve(path.dirname(path.resolve(file)), checked.spec.repo),
  };
}

/** A sprint file that can run here (see runnableProblems), or bad input naming every problem. */
export async function loadRunnableSprint(
  file: string,
  config: Readonly<Pick<Config, 'allowedCommands'>>,
): Promise<SprintSpec> {
  const spec = await loadSprintFile(file);
  const problems = await runnableProblems(spec, config);
  if (problems.length) throw new NotRunnable(spec.id, problems);
  return spec;
}
