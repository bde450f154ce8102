import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BIN, collect } from '../support/cli';
import type { CliRun } from '../support/cli';

jest.setTimeout(60_000);

const GITHUB_TOKEN = 'ghp_cliLoginT0kenNeverPrinted00001234';
const SYNC_TOKEN = 'sync_cliLoginT0kenNeverPrinted0000wxyz';

describe('sprintwave auth through the built CLI', () => {
  let home: string;

  /** The built CLI with `stdin` piped in, as `printf %s "$TOKEN" | sprintwave auth login github`. */
  function auth(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    const clean = { ...process.env };
    for (const name of ['GITHUB_TOKEN', 'SPRINTWAVE_SYNC_TOKEN', 'SPRINTWAVE_TEAM_SLUG']) {
      delete clean[name];
    }
    const child = spawn(process.execPath, [BIN, 'auth', ...args], {
      env: {
        ...clean,
        SPRINTWAVE_HOME: home,
        SPRINTWAVE_CREDENTIAL_STORE: 'file',
        SPRINTWAVE_PASSPHRASE: 'correct horse',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(stdin);
    return collect(child);
  }

  function expectNoSecrets(run: CliRun): void {
    for (const token of [GITHUB_TOKEN, SYNC_TOKEN]) {
      expect(run.stdout).not.toContain(token);
      expect(run.stderr).not.toContain(token);
    }
  }

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-auth-'));
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('logs in from stdin and keeps the token only encrypted, in a 0600 file', async () => {
    const login = await auth(['login', 'github'], `${GITHUB_TOKEN}\n`);
    expect(login).toMatchObject({ code: 0, stderr: '' });
    expect(login.stdout).toBe(
      'Logged in to GitHub: token ghp_…1234.\n' +
        `Stored in the encrypted file ${path.join(home, 'credentials.enc')} (key derived from SPRINTWAVE_PASSPHRASE).\n`,
    );
    const sync = await auth(['login', 'sync', '--team', 'acme'], SYNC_TOKEN);
    expect(sync.code).toBe(0);
    expectNoSecrets(login);
    expectNoSecrets(sync);

    expect(await readdir(home)).toEqual(['credentials.enc']);
    const file = path.join(home, 'credentials.enc');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const onDisk = await readFile(file, 'utf8');
    expect(onDisk).not.toContain(GITHUB_TOKEN);
    expect(onDisk).not.toContain(SYNC_TOKEN);
  });

  it('shows status and the list with tokens masked, and where each is kept', async () => {
    const status = await auth(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `github (GitHub): logged in, token ghp_…1234; in the encrypted file ${path.join(home, 'credentials.enc')}\n`,
    );
    expect(status.stdout).toContain(
      'sync (the sync backend): logged in, token sync_…wxyz, team slug acme;',
    );
    const list = await auth(['list']);
    expect(list.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^github {3}token ghp_…1234 {2}\(the encrypted file /),
      expect.stringMatching(/^sync {5}token sync_…wxyz, team slug acme {2}\(the encrypted file /),
    ]);
    expectNoSecrets(status);
    expectNoSecrets(list);
  });

  it('says in one line, without a stack trace, that a wrong passphrase cannot decrypt the file', async () => {
    const wrong = await auth(['status'], '', { SPRINTWAVE_PASSPHRASE: 'battery staple' });
    expect(wrong).toMatchObject({
      code: 2,
      stderr: `error: cannot decrypt ${path.join(home, 'credentials.enc')}: wrong SPRINTWAVE_PASSPHRASE?\n`,
    });
  });

  it('warns that --token lands in the shell history, and asks sync for its team slug', async () => {
    const flagged = await auth(['login', 'github', '--token', GITHUB_TOKEN]);
    expect(flagged.code).toBe(0);
    expect(flagged.stderr).toContain(
      'warning: a token given with --token stays in your shell history',
    );
    const noTeam = await auth(['login', 'sync'], SYNC_TOKEN);
    expect(noTeam).toMatchObject({
      code: 2,
      stderr: 'error: sync needs a team slug: pass --team <team-slug>\n',
    });
    const unknown = await auth(['login', 'gitlab'], 'x');
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'error: gitlab is not a provider; use one of github, sync\n',
    });
    const empty = await auth(['login', 'github'], '\n');
    expect(empty.code).toBe(2);
  });

  it('logs out: the token is gone and status says so', async () => {
    const logout = await auth(['logout', 'github']);
    expect(logout.code).toBe(0);
    expect(logout.stdout).toBe(
      `Logged out of GitHub: removed from the encrypted file ${path.join(home, 'credentials.enc')}.\n`,
    );
    const status = await auth(['status', 'github']);
    expect(status).toMatchObject({ code: 1 });
    expect(status.stdout).toContain('github (GitHub): not logged in\n');
    const again = await auth(['logout', 'github']);
    expect(again.stdout).toBe('Not logged in to GitHub: nothing to remove.\n');
    expect((await auth(['list'])).stdout).not.toContain('github');
  });
});
