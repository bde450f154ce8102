import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { openCommitter } from '../../activities/git-exec';
import { loadConfig } from '../../runtime/config';
import { startLocalGithub } from '../../runtime/github-local/server';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { checkSprintSpec } from '../../schemas/sprint-spec';
import { parseSprintText } from '../../schemas/sprint-text';
import { BadInput } from '../errors';
import type { CliIO } from '../io';
import { withSession } from '../session';
import { runSprint } from './run';

export const DEMO_SPRINT = path.join(PROJECT_ROOT, 'examples', 'identity-sync.sprint.yaml');

/** Creates a sample repository and runs the example sprint in it, with live progress. */
export interface DemoOptions {
  json?: boolean;
  dir?: string;
  /** Post progress to a GitHub served on this machine, and keep its comments in a file. */
  githubLocal?: boolean;
}

export async function demoCommand(options: DemoOptions, io: CliIO): Promise<number> {
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
  if (!options.githubLocal) {
    return withSession(io, { worker: 'embedded' }, (session) =>
      runSprint(spec, options, io, session),
    );
  }
  const github = await startLocalGithub({ token: LOCAL_TOKEN });
  try {
    const issue = github.createIssue('sprintwave', 'demo', `Sprint ${spec.id}`);
    const withGithub = {
      ...spec,
      github: { repo: 'sprintwave/demo', issue, sync: true, minInterval: '2s' },
    };
    const env = { GITHUB_API_URL: github.url, GITHUB_TOKEN: LOCAL_TOKEN };
    return await withSession(io, { worker: 'embedded', env }, async (session) => {
      // Returns once the table and the summary are on the issue, or says what is still queued.
      const code = await runSprint(withGithub, options, io, session);
      const file = path.join(repo, '..', `${path.basename(repo)}-github-issue.md`);
      const comments = github.comments('sprintwave', 'demo', issue);
      await writeFile(file, comments.map((comment) => comment.body).join('\n\n---\n\n'));
      io.err(
        `The ${comments.length} comments on the local GitHub issue sprintwave/demo#${issue}: ${file}`,
      );
      return code;
    });
  } finally {
    await github.close();
  }
}

/** Only the demo's own in-process GitHub accepts it. */
const LOCAL_TOKEN = 'local-demo-token';

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
