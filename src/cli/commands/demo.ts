import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { openCommitter } from '../../activities/git-exec';
import { loadConfig } from '../../runtime/config';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { checkSprintSpec } from '../../schemas/sprint-spec';
import { parseSprintText } from '../../schemas/sprint-text';
import { BadInput } from '../errors';
import type { CliIO } from '../io';
import { withSession } from '../session';
import { runSprint } from './run';

export const DEMO_SPRINT = path.join(PROJECT_ROOT, 'examples', 'identity-sync.sprint.yaml');

/** Creates a sample repository and runs the example sprint in it, with live progress. */
export async function demoCommand(options: { json?: boolean; dir?: string }, io: CliIO): Promise<number> {
  const config = loadConfig();
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const repo = path.resolve(options.dir ?? path.join(config.home, 'demo', stamp));
  await createDemoRepo(repo);
  io.err(`Demo repository: ${repo}`);

  const text = await readFile(DEMO_SPRINT, 'utf8');
  const parsed = parseSprintText(text, DEMO_SPRINT);
  const checked = parsed.ok ? checkSprintSpec(parsed.value) : parsed;
  if (!checked.ok) throw new BadInput(DEMO_SPRINT, checked.problems);
  const spec = { ...checked.spec, id: `${checked.spec.id}-${stamp}`, repo };
  return withSession(io, { worker: 'embedded' }, (session) => runSprint(spec, options, io, session));
}

async function createDemoRepo(repo: string): Promise<void> {
  await mkdir(repo, { recursive: true });
  const git = simpleGit(repo);
  if (await git.checkIsRepo().catch(() => false)) return;
  await git.init(['--initial-branch=main']);
  await writeFile(
    path.join(repo, 'README.md'),
    '# Demo project\n\nA sample repository for the sprintwave demo sprint.\n',
  );
  await git.add('.');
  await (await openCommitter(repo)).commit('Initial commit');
}
