import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareWorktree } from '../../src/activities/git';
import { runPackageAttempt } from '../../src/activities/package-attempt';
import {
  holdsLease,
  leasePath,
  readLease,
  recordCommandGroup,
  takeWorktree,
} from '../../src/activities/worktree-lease';
import { groupAlive } from '../../src/runtime/process-group';
import { fixtureGit, makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

jest.setTimeout(60_000);

const GIT = 'git -c user.name=agent -c user.email=agent@example.test';

/** Like an agent: appends `steps` lines to work.txt, commits half-way, leaves the rest uncommitted. */
function agentLike(ledger: string, steps: number, delay = 0.05): string {
  const half = Math.floor(steps / 2);
  return [
    `echo "start $$" >> ${ledger}`,
    `i=0; while [ $i -lt ${steps} ]; do echo "line $i" >> work.txt; echo "tick $$" >> ${ledger}`,
    `  if [ $i -eq ${half} ]; then ${GIT} add -A && ${GIT} commit -qm "half-way"; fi`,
    `  i=$((i+1)); sleep ${delay}; done`,
    `echo scratch > untracked.tmp`,
    `echo "end $$" >> ${ledger}`,
  ].join('\n');
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('an attempt at a package', () => {
  let sandbox: Sandbox;
  let n = 0;

  beforeEach(async () => {
    sandbox = await makeSandbox();
  });

  afterEach(async () => {
    await sandbox.cleanup();
  });

  async function prepare() {
    const wpId = `WP${++n}`;
    const prepared = await prepareWorktree({
      repo: sandbox.repo,
      sprintId: 's1',
      wpId,
      base: 'main',
      dependencyBranches: [],
      worktreeRoot: sandbox.worktreeRoot,
      owner: 'owner-1',
    });
    return { wpId, ...prepared, ledger: path.join(sandbox.dir, `${wpId}.ledger`) };
  }

  function attempt(
    wp: Awaited<ReturnType<typeof prepare>>,
    command: string,
    extra: { retry?: 'clean' | 'resume'; signal?: AbortSignal } = {},
  ) {
    return runPackageAttempt({
      sprintId: 's1',
      wpId: wp.wpId,
      worktree: wp.worktree,
      baseCommit: wp.baseCommit,
      retry: extra.retry,
      worker: 'test-worker',
      run: { command, killGraceMs: 500, ...(extra.signal ? { signal: extra.signal } : {}) },
    });
  }

  it('a retry keeps what the earlier attempt left under its ref and starts from the clean base', async () => {
    const wp = await prepare();
    const first = await attempt(wp, agentLike(wp.ledger, 6, 0));
    expect(first).toMatchObject({ exitCode: 0, attempt: 1, keptAttempts: [] });
    const git = fixtureGit(wp.worktree);
    expect(lines(path.join(wp.worktree, 'work.txt'))).toHaveLength(6);

    const second = await attempt(wp, agentLike(wp.ledger, 6, 0));
    const ref = `refs/sprintwave/s1/${wp.wpId}/attempt-1`;
    expect(second).toMatchObject({ exitCode: 0, attempt: 2, keptAttempts: [ref] });
    // The branch holds one attempt's work: one half-way commit, six lines.
    expect(lines(path.join(wp.worktree, 'work.txt'))).toHaveLength(6);
    const own = await git.raw(['log', '--format=%s', `${wp.baseCommit}..HEAD`]);
    expect(own.trim().split('\n')).toEqual(['half-way']);
    // The first attempt is kept whole: its commit, then its uncommitted and untracked files.
    const kept = await git.raw(['show', `${ref}:work.txt`]);
    expect(kept.trim().split('\n')).toHaveLength(6);
    expect(await git.raw(['show', `${ref}:untracked.tmp`])).toBe('scratch\n');
    expect((await git.raw(['log', '--format=%s', `${wp.baseCommit}..${ref}`])).trim()).toBe(
      `sprintwave: ${wp.wpId} attempt 1 as it was left\nhalf-way`,
    );
    // Nothing of the kept snapshot leaked into the index or the branch: only the second
    // attempt's own lines after its commit, and its own scratch file.
    expect(await git.raw(['status', '--porcelain'])).toBe(' M work.txt\n?? untracked.tmp\n');
  });

  it('an attempt on the clean base keeps nothing, and a resumed retry goes on from what was left', async () => {
    const wp = await prepare();
    await attempt(wp, 'true');
    const clean = await attempt(wp, 'true');
    expect(clean).toMatchObject({ attempt: 2, keptAttempts: [] });

    await attempt(wp, 'echo one >> notes.txt');
    const resumed = await attempt(wp, 'echo two >> notes.txt', { retry: 'resume' });
    expect(resumed).toMatchObject({ exitCode: 0, attempt: 4 });
    expect(await readFile(path.join(wp.worktree, 'notes.txt'), 'utf8')).toBe('one\ntwo\n');
  });

  it('a retry after an attempt that left a detached HEAD keeps it and checks the branch out again', async () => {
    const wp = await prepare();
    await attempt(
      wp,
      `echo x > x.txt && ${GIT} add x.txt && ${GIT} commit -qm x && git checkout -q --detach HEAD~1 && echo y > y.txt`,
    );
    const next = await attempt(wp, 'echo fine > fine.txt');
    expect(next.keptAttempts).toEqual([`refs/sprintwave/s1/${wp.wpId}/attempt-1`]);
    const git = fixtureGit(wp.worktree);
    expect((await git.raw(['symbolic-ref', 'HEAD'])).trim()).toBe(
      `refs/heads/sprintwave/s1/${wp.wpId}`,
    );
    expect((await git.raw(['rev-parse', 'HEAD'])).trim()).toBe(wp.baseCommit);
    expect(await git.raw(['status', '--porcelain'])).toBe('?? fine.txt\n');
  });

  it.each(['clean', 'resume'] as const)(
    'a %s retry after an attempt killed inside git commit is not stopped by its stale locks',
    async (retry) => {
      const wp = await prepare();
      await attempt(wp, 'echo one > one.txt');
      // What `git commit` leaves when it is killed: the index lock and the branch's ref lock.
      const gitDir = (
        await fixtureGit(wp.worktree).raw(['rev-parse', '--absolute-git-dir'])
      ).trim();
      await writeFile(path.join(gitDir, 'index.lock'), '');
      const common = (await fixtureGit(wp.worktree).raw(['rev-parse', '--git-common-dir'])).trim();
      const refLock = path.resolve(
        wp.worktree,
        common,
        'refs/heads/sprintwave/s1',
        `${wp.wpId}.lock`,
      );
      await writeFile(refLock, '');
      const next = await attempt(
        wp,
        `echo two > two.txt && ${GIT} add -A && ${GIT} commit -qm two`,
        {
          retry,
        },
      );
      expect(next).toMatchObject({ exitCode: 0, attempt: 2 });
      expect(existsSync(path.join(gitDir, 'index.lock'))).toBe(false);
      expect(existsSync(refLock)).toBe(false);
    },
  );

  it('stops an earlier attempt that still runs before the next one starts: they never overlap', async () => {
    const wp = await prepare();
    const earlier = attempt(wp, agentLike(wp.ledger, 400));
    const earlierOutcome = earlier.then(
      () => 'finished',
      (error: Error) => error.message,
    );
    while (lines(wp.ledger).length < 5) await sleep(20);
    const earlierPid = lines(wp.ledger)[0]?.split(' ')[1];

    const later = await attempt(wp, agentLike(wp.ledger, 5, 0));
    expect(later).toMatchObject({ exitCode: 0, attempt: 2 });
    expect(await earlierOutcome).toMatch(/attempt 1 was superseded/);
    const ledger = lines(wp.ledger);
    const laterStart = ledger.findIndex((line, i) => i > 0 && line.startsWith('start'));
    const lastEarlierTick = ledger.lastIndexOf(`tick ${earlierPid}`);
    expect(lastEarlierTick).toBeLessThan(laterStart);
    expect(lines(path.join(wp.worktree, 'work.txt'))).toHaveLength(5);
  });

  it('an attempt whose worktree is taken over elsewhere stops by itself within seconds', async () => {
    const wp = await prepare();
    const running = attempt(wp, `echo "start $$" >> ${wp.ledger}; exec sleep 60`);
    while (lines(wp.ledger).length < 1) await sleep(20);
    const pgid = Number(lines(wp.ledger)[0]?.split(' ')[1]);
    // The command may log its start before the attempt records its group in the lease.
    let lease = await readLease(wp.worktree);
    while (lease?.pgid === undefined) {
      await sleep(20);
      lease = await readLease(wp.worktree);
    }
    expect(lease).toMatchObject({ attempt: 1, pgid, worker: 'test-worker', pid: process.pid });
    // Another machine takes the worktree over: it cannot stop this process, so it writes the lease.
    await writeFile(
      path.join(path.dirname(wp.worktree), `.${wp.wpId}.lease.json`),
      JSON.stringify({ ...lease, token: 'elsewhere', bootId: 'another-machine', attempt: 2 }),
    );
    const since = Date.now();
    await expect(running).rejects.toThrow(/attempt 1 was superseded/);
    // Generous for a loaded machine; without the lease watch the command would run its 60 s.
    expect(Date.now() - since).toBeLessThan(20_000);
    expect(groupAlive(pgid)).toBe(false);
  });

  it('records its command group beside the lease, never rewriting it: a takeover cannot be undone', async () => {
    const wp = await prepare();
    const { lease } = await takeWorktree(wp.worktree, 'worker-1');
    const taken = await readFile(leasePath(wp.worktree), 'utf8');
    const command = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pgid = command.pid as number;
    // A takeover may land between any check the holder makes and its write: it must not write.
    await recordCommandGroup(wp.worktree, lease, pgid);
    expect(await readFile(leasePath(wp.worktree), 'utf8')).toBe(taken);
    expect(await readLease(wp.worktree)).toMatchObject({ token: lease.token, pgid });
    // The next attempt still finds the group, and stops it.
    const next = await takeWorktree(wp.worktree, 'worker-2');
    expect(next.previous).toMatchObject({ token: lease.token, pgid });
    expect(groupAlive(pgid)).toBe(false);
    expect(await holdsLease(wp.worktree, lease)).toBe(false);
  });

  it('finds and stops an earlier attempt by its mark even when it left its process group', async () => {
    const wp = await prepare();
    const running = attempt(
      wp,
      `setsid sh -c 'echo "start $$" >> ${wp.ledger}; exec sleep 60' & wait`,
    );
    running.catch(() => undefined);
    while (lines(wp.ledger).length < 1) await sleep(20);
    const escaped = Number(lines(wp.ledger)[0]?.split(' ')[1]);
    const taken = await takeWorktree(wp.worktree, 'another-worker');
    expect(taken.previous?.attempt).toBe(1);
    expect(groupAlive(escaped)).toBe(false);
    await expect(running).rejects.toThrow(/superseded/);
  });
});
