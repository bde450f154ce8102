import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { agentProblems } from '../activities/agent-cli';
import { shown } from '../domain/shown';
import type { SprintSpec, SpecProblem } from '../domain/spec';
import { checkSprintSpec } from '../schemas/sprint-spec';
import { parseSprintText } from '../schemas/sprint-text';
import { BadInput } from './errors';

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

/** The repository must exist, be a git repository and hold the base branch. */
export async function checkRepository(spec: SprintSpec): Promise<SpecProblem[]> {
  try {
    if (!(await stat(spec.repo)).isDirectory())
      return [{ path: 'repo', message: `${spec.repo} is not a folder` }];
  } catch {
    return [{ path: 'repo', message: `${spec.repo} does not exist` }];
  }
  const git = simpleGit(spec.repo);
  if (!(await git.checkIsRepo().catch(() => false))) {
    return [{ path: 'repo', message: `${spec.repo} is not a git repository` }];
  }
  const base = await git
    .raw(['rev-parse', '--verify', '--quiet', `${spec.base}^{commit}`])
    .catch(() => '');
  if (!base.trim())
    return [{ path: 'base', message: `${spec.base} is not a branch or commit of ${spec.repo}` }];
  return [];
}

export async function loadRunnableSprint(file: string): Promise<SprintSpec> {
  const spec = await loadSprintFile(file);
  const problems = [...(await checkRepository(spec)), ...(await agentProblems(spec))];
  if (problems.length) throw new BadInput(file, problems);
  return spec;
}
