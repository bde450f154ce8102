import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { openCommitter } from '../../activities/git-exec';
import { loadConfig } from '../../runtime/config';
import { startApiServer } from '../../api/server';
import type { ApiServer } from '../../api/server';
import { startLocalGithub } from '../../devtools/github-local/server';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { checkSprintSpec } from '../../schemas/sprint-spec';
import { parseSprintText } from '../../schemas/sprint-text';
import { BadInput } from '../../service/errors';
import type { CliIO } from '../io';
import { withSession } from '../session';
import type { Session } from '../session';
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
      withBoard(spec.id, io, session, async () => {
        const code = await runSprint(spec, options, io, session);
        await showWhereToLook(repo, io, session);
        return code;
      }),
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
    return await withSession(io, { worker: 'embedded', env }, (session) =>
      withBoard(spec.id, io, session, async () => {
        // Returns once the table and the summary are on the issue, or says what is still queued.
        const code = await runSprint(withGithub, options, io, session);
        const file = path.join(repo, '..', `${path.basename(repo)}-github-issue.md`);
        const comments = github.comments('sprintwave', 'demo', issue);
        await writeFile(file, comments.map((comment) => comment.body).join('\n\n---\n\n'));
        io.err(
          `The ${comments.length} comments on the local GitHub issue sprintwave/demo#${issue}: ${file}`,
        );
        await showWhereToLook(repo, io, session);
        return code;
      }),
    );
  } finally {
    await github.close();
  }
}

/**
 * The sprint board for the demo's sprint, served by an HTTP API in this process on a free port
 * of this machine, for as long as the demo runs. A demo without it still runs: it says so.
 */
async function withBoard<T>(
  sprintId: string,
  io: CliIO,
  session: Session,
  work: () => Promise<T>,
): Promise<T> {
  const { config, temporal } = session;
  let api: ApiServer | undefined;
  try {
    api = await startApiServer({
      client: temporal.client,
      config: { ...config, api: { ...config.api, host: '127.0.0.1', port: 0 } },
    });
    const token = config.api.token ? ' (add #token=<SPRINTWAVE_API_TOKEN> to the link)' : '';
    io.err(`Sprint board: ${api.url}/sprints/${encodeURIComponent(sprintId)}/board${token}`);
  } catch (error) {
    io.err(`No sprint board: the HTTP API did not start (${(error as Error).message}).`);
  }
  try {
    return await work();
  } finally {
    await api?.close();
  }
}

/**
 * Where to look at what the demo did: its repository's branches, and the Web UI, which the
 * embedded dev server serves only while it runs — until Ctrl-C in a terminal, else how to
 * bring it back with the sprint's history.
 */
async function showWhereToLook(repo: string, io: CliIO, session: Session): Promise<void> {
  io.err(
    `A branch per package and the integration merge: git -C ${shellWord(repo)} log --graph --all`,
  );
  const { temporal, config } = session;
  if (config.temporal.address || !temporal.uiUrl || session.interrupted.aborted) return;
  if (!temporal.server) {
    io.err(`Web UI: ${temporal.uiUrl} (served by the dev server already running)`);
    return;
  }
  if (io.isTTY) {
    session.settle();
    io.err(`Web UI stays up at ${temporal.uiUrl} until Ctrl-C, and the sprint board with it.`);
    await new Promise<void>((resolve) => {
      if (session.interrupted.aborted) resolve();
      session.interrupted.addEventListener('abort', () => resolve(), { once: true });
    });
    return;
  }
  io.err(
    `The Web UI stops with the demo. To see it again, with the sprint's history: ` +
      `${devCommand(config)} (Web UI at ${temporal.uiUrl}).`,
  );
}

/** `sprintwave dev` on the same home and ports as this demo. */
function devCommand(config: Session['config']): string {
  const { devPort, uiPort } = config.temporal;
  const env = [`SPRINTWAVE_HOME=${shellWord(config.home)}`];
  if (devPort !== DEFAULT_DEV_PORT) env.push(`SPRINTWAVE_TEMPORAL_PORT=${devPort}`);
  if (uiPort !== devPort + 1000) env.push(`SPRINTWAVE_UI_PORT=${uiPort}`);
  return `${env.join(' ')} sprintwave dev`;
}

const DEFAULT_DEV_PORT = 7233;

/** A path as one shell word, quoted only when it needs to be. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
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
