import { stat } from 'node:fs/promises';
import { simpleGit } from 'simple-git';
import { agentProblems } from '../activities/agent-cli';
import { allowedCommandProblems } from '../domain/allowed-commands';
import type { SpecProblem, SprintSpec } from '../domain/spec';
import type { Config } from '../runtime/config';

/**
 * Whether a valid sprint can run here: its repository and base, the agents it names, and the
 * commands SPRINTWAVE_ALLOWED_COMMANDS allows. Every problem, each with its path; none when it can.
 */
export async function runnableProblems(
  spec: SprintSpec,
  config: Readonly<Pick<Config, 'allowedCommands'>>,
): Promise<SpecProblem[]> {
  return [
    ...(await checkRepository(spec)),
    ...allowedCommandProblems(spec, config.allowedCommands),
    ...(await agentProblems(spec)),
  ];
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
