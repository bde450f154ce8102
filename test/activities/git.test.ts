import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { commitWork, prepareWorktree } from '../../src/activities/git';
import type { PrepareWorktreeInput } from '../../src/activities/git';
import { gitCounters, openRepository } from '../../src/activities/git-exec';
import { writeBranchRecord } from '../../src/activities/git-records';
import { helperPid } from '../../src/activities/spawner';
import {
  branchRecord,
  commitCount,
  fixtureGit,
  makeSandbox,
  read,
  recordPath,
  rev,
  writeAndCommit,
} from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

let box: Sandbox;

beforeEach(async () => {
  box = await makeSandbox();
});

afterEach(async () => {
  await box.cleanup();
});

function input(wpId: string, extra: Partial<PrepareWorktreeInput> = {}): PrepareWorktreeInput {
  return {
    repo: box.repo,
    sprintId: 's1',
    wpId,
    base: 'main',
    dependencyBranches: [],
    worktreeRoot: box.worktreeRoot,
    owner: 'run-1',
    ...extra,
  };
}

describe('prepareWorktree', () => {
  it('creates the package branch from base with a worktree on it', async () => {
    const prepared = await prepareWorktree(input('WP01'));

    expect(prepared).toEqual({
      branch: 'sprintwave/s1/WP01',
      worktree: path.join(box.worktreeRoot, 's1', 'WP01'),
      baseCommit: await rev(box.git, 'main'),
      reused: false,
    });
    expect(await read(prepared.worktree, 'README.md')).toBe('# demo\n');
    const wt = fixtureGit(prepared.worktree);
    expect((await wt.raw(['symbolic-ref', 'HEAD'])).trim()).toBe('refs/heads/sprintwave/s1/WP01');
    expect(await branchRecord(box.repo, prepared.branch)).toEqual({
      owner: 'run-1',
      baseCommit: prepared.baseCommit,
    });
    expect(await box.git.raw(['config', '--local', '--list'])).not.toMatch(/sprintwave/);
  });

  it('records the owner before the branch exists: a crash in between leaves no ownerless branch', async () => {
    const branch = 'sprintwave/s1/WP01';
    const record = await recordPath(box.repo, branch);
    const seen = path.join(box.dir, 'seen');
    // Git's reference-transaction hook runs as the branch is about to be created: it notes
    // whether the owner is on disk, then refuses the update, as if the worker died right there.
    const hook = path.join(box.repo, '.git', 'hooks', 'reference-transaction');
    await mkdir(path.dirname(hook), { recursive: true });
    await writeFile(
      hook,
      `#!/bin/sh
[ "$1" = prepared ] || exit 0
while read -r old new ref; do
  [ "$ref" = "refs/heads/${branch}" ] || continue
  if [ -f "${record}" ]; then cat "${record}" >> "${seen}"; else echo none >> "${seen}"; fi
  exit 1
done
exit 0
`,
    );
    await chmod(hook, 0o755);

    await expect(prepareWorktree(input('WP01'))).rejects.toThrow();
    expect(JSON.parse(await readFile(seen, 'utf8'))).toEqual({ owner: 'run-1' });
    expect(await box.git.raw(['branch', '--list', branch])).toBe('');

    await unlink(hook); // the worker comes back: the retry takes over its own half-done step
    const again = await prepareWorktree(input('WP01'));
    expect(again).toMatchObject({ branch, reused: false });
    expect(await branchRecord(box.repo, branch)).toEqual({
      owner: 'run-1',
      baseCommit: again.baseCommit,
    });
  });

  it('resumes a branch whose owner and base earlier versions kept in .git/config', async () => {
    const main = await rev(box.git, 'main');
    await box.git.raw(['branch', 'sprintwave/s1/WP01', 'main']);
    await box.git.raw(['config', 'branch.sprintwave/s1/WP01.sprintwaveOwner', 'run-1']);
    await box.git.raw(['config', 'branch.sprintwave/s1/WP01.sprintwaveBase', main]);

    expect(await prepareWorktree(input('WP01'))).toMatchObject({ baseCommit: main, reused: true });
    await expect(prepareWorktree(input('WP01', { owner: 'run-2' }))).rejects.toMatchObject({
      type: 'BranchExists',
    });
  });

  it('merges dependency branches so dependent work sees upstream code', async () => {
    const wp1 = await prepareWorktree(input('WP01'));
    await writeAndCommit(wp1.worktree, 'api.ts', 'export const api = 1;\n');

    const wp2 = await prepareWorktree(input('WP02', { dependencyBranches: [wp1.branch] }));

    expect(await read(wp2.worktree, 'api.ts')).toBe('export const api = 1;\n');
    expect(wp2.baseCommit).toBe(await rev(fixtureGit(wp2.worktree), 'HEAD'));
    expect(wp2.baseCommit).not.toBe(await rev(box.git, 'main'));
  });

  it('reuses its own branch on a re-run and keeps the same base commit after work', async () => {
    const wp1 = await prepareWorktree(input('WP01'));
    await writeAndCommit(wp1.worktree, 'api.ts', 'export const api = 1;\n');
    const first = await prepareWorktree(input('WP02', { dependencyBranches: [wp1.branch] }));
    await writeAndCommit(first.worktree, 'feature.ts', 'export {};\n');

    const again = await prepareWorktree(input('WP02', { dependencyBranches: [wp1.branch] }));

    expect(again).toEqual({ ...first, reused: true });
    expect(await read(again.worktree, 'feature.ts')).toBe('export {};\n');
  });

  it('gives its own branch the worktree that a crash after `git branch` kept from it', async () => {
    const branch = 'sprintwave/s1/WP01';
    // What a worker killed between making the branch and adding its worktree leaves behind.
    await writeBranchRecord(await openRepository(box.repo), branch, { owner: 'run-1' });
    await box.git.raw(['branch', branch, 'main']);

    const again = await prepareWorktree(input('WP01'));

    expect(again).toMatchObject({ branch, reused: true });
    expect(await read(again.worktree, 'README.md')).toBe('# demo\n');
    expect(await branchRecord(box.repo, branch)).toEqual({
      owner: 'run-1',
      baseCommit: again.baseCommit,
    });
  });

  it('repairs a worktree directory deleted by hand', async () => {
    const first = await prepareWorktree(input('WP01'));
    await writeAndCommit(first.worktree, 'done.txt', 'committed work\n');
    await rm(first.worktree, { recursive: true, force: true });

    const again = await prepareWorktree(input('WP01'));

    expect(again).toEqual({ ...first, reused: true });
    expect(await read(again.worktree, 'done.txt')).toBe('committed work\n');
  });

  it('rebuilds a worktree whose `git worktree add` was killed half-way', async () => {
    const first = await prepareWorktree(input('WP01'));
    const gitDir = (await fixtureGit(first.worktree).raw(['rev-parse', '--git-dir'])).trim();
    await writeFile(path.join(gitDir, 'locked'), 'initializing');
    await unlink(path.join(first.worktree, 'README.md'));

    const again = await prepareWorktree(input('WP01'));

    expect(again.baseCommit).toBe(first.baseCommit);
    expect(await read(again.worktree, 'README.md')).toBe('# demo\n');
  });

  it('refuses a branch owned by another run, or by nobody, and leaves it alone', async () => {
    const first = await prepareWorktree(input('WP01'));
    await box.git.raw(['branch', 'sprintwave/s1/WP02', 'main']);

    const other = prepareWorktree(input('WP01', { owner: 'run-2' }));
    await expect(other).rejects.toMatchObject({ type: 'BranchExists', nonRetryable: true });
    await expect(other).rejects.toThrow(/earlier sprint with the same id.*git branch -D/s);
    await expect(prepareWorktree(input('WP02'))).rejects.toMatchObject({ type: 'BranchExists' });
    expect(await rev(box.git, first.branch)).toBe(first.baseCommit);
    expect(existsSync(first.worktree)).toBe(true);
  });

  it.each([
    ['wpId', { wpId: '../x' }],
    ['wpId', { wpId: 'a b' }],
    ['sprintId', { sprintId: '../../etc' }],
  ])('rejects an unsafe %s (%j)', async (_field, bad) => {
    const attempt = prepareWorktree({ ...input('WP01'), ...bad });
    await expect(attempt).rejects.toMatchObject({ type: 'UnsafeId', nonRetryable: true });
    expect(await box.git.raw(['branch', '--list', 'sprintwave/*'])).toBe('');
  });

  it('aborts a conflicting dependency merge and names the branch and files', async () => {
    const wp1 = await prepareWorktree(input('WP01'));
    const wp2 = await prepareWorktree(input('WP02'));
    await writeAndCommit(wp1.worktree, 'shared.txt', 'value=1\n');
    await writeAndCommit(wp2.worktree, 'shared.txt', 'value=2\n');

    const attempt = prepareWorktree(
      input('WP03', { dependencyBranches: [wp1.branch, wp2.branch] }),
    );

    await expect(attempt).rejects.toMatchObject({ type: 'DependencyConflict', nonRetryable: true });
    await expect(attempt).rejects.toThrow(/sprintwave\/s1\/WP02.*shared\.txt/);
    const wp3 = fixtureGit(path.join(box.worktreeRoot, 's1', 'WP03'));
    expect(await wp3.raw(['status', '--porcelain'])).toBe('');
  });

  it('prepares 10 packages of one repository in parallel, each on its first attempt', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`);
    const before = gitCounters().lockRetries;

    // No retry wrapper here, and no lock retry inside: adds take turns instead of racing.
    const prepared = await Promise.all(ids.map((id) => prepareWorktree(input(id))));

    expect(prepared.map((p) => p.reused)).toEqual(ids.map(() => false));
    expect(gitCounters().lockRetries - before).toBe(0);
    for (const p of prepared) expect(await read(p.worktree, 'README.md')).toBe('# demo\n');
  });

  it('prepares many packages with dependencies in parallel', async () => {
    const upstream = await Promise.all(['WP01', 'WP02'].map((id) => prepareWorktree(input(id))));
    for (const p of upstream) await writeAndCommit(p.worktree, `${p.branch.slice(-4)}.txt`, 'up\n');
    const deps = upstream.map((p) => p.branch);
    const ids = ['WP03', 'WP04', 'WP05', 'WP06', 'WP07', 'WP08'];

    const prepared = await Promise.all(
      ids.map((id) => prepareWorktree(input(id, { dependencyBranches: deps }))),
    );

    for (const p of prepared) {
      expect(await read(p.worktree, 'WP01.txt')).toBe('up\n');
      expect(await read(p.worktree, 'WP02.txt')).toBe('up\n');
      expect(p.baseCommit).toBe(await rev(fixtureGit(p.worktree), 'HEAD'));
    }
  });
});

describe('git processes per package', () => {
  async function processesFor(wpId: string, deps: string[]): Promise<number> {
    const before = gitCounters().processes;
    const wp = await prepareWorktree(input(wpId, { dependencyBranches: deps }));
    await writeFile(path.join(wp.worktree, `${wpId}.txt`), `${wpId}\n`);
    await commitWork({ ...wp, wpId, title: wpId });
    return gitCounters().processes - before;
  }

  it('stays within budget: 7 without dependencies, one more per dependency plus one', async () => {
    await processesFor('WP00', []); // the first package of a repo also looks up the repo itself
    // cat-file, branch, worktree add (only this one takes turns), status, add, commit, log
    expect(await processesFor('WP01', [])).toBeLessThanOrEqual(7);
    expect(await processesFor('WP02', ['sprintwave/s1/WP01'])).toBeLessThanOrEqual(9);
    const twoDeps = ['sprintwave/s1/WP01', 'sprintwave/s1/WP02'];
    expect(await processesFor('WP03', twoDeps)).toBeLessThanOrEqual(10);
  });
});

describe('the helper process that starts git', () => {
  it('is started again after it dies, and the activities carry on', async () => {
    const wp1 = await prepareWorktree(input('WP01'));
    const pid = helperPid();
    expect(pid).toEqual(expect.any(Number));

    process.kill(pid ?? 0, 'SIGKILL');
    for (let i = 0; i < 200 && helperPid() === pid; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const wp2 = await prepareWorktree(input('WP02', { dependencyBranches: [wp1.branch] }));

    expect(wp2.reused).toBe(false);
    expect(helperPid()).toEqual(expect.any(Number));
    expect(helperPid()).not.toBe(pid);
  });
});

describe('commitWork', () => {
  it('commits leftovers once and reports what git says changed', async () => {
    const wp = await prepareWorktree(input('WP01'));
    await writeFile(path.join(wp.worktree, 'README.md'), '# demo\nline 2\nline 3\n');
    await writeFile(path.join(wp.worktree, 'new.ts'), 'a\nb\n');
    await writeFile(path.join(wp.worktree, 'logo.bin'), Buffer.from([0, 1, 2, 0, 255]));
    await unlink(path.join(wp.worktree, 'shared.txt'));
    const work = {
      worktree: wp.worktree,
      wpId: 'WP01',
      title: 'Add things',
      baseCommit: wp.baseCommit,
    };

    const evidence = await commitWork(work);
    const again = await commitWork(work);

    expect(evidence).toEqual({
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      filesChanged: 4,
      insertions: 4, // 2 lines in README.md, 2 in new.ts; logo.bin is binary
      deletions: 1, // shared.txt
      files: ['README.md', 'logo.bin', 'new.ts', 'shared.txt'],
      committedLeftovers: true,
    });
    expect(again).toEqual(evidence);
    const wt = fixtureGit(wp.worktree);
    expect(await commitCount(wt)).toBe(2);
    expect((await wt.raw(['log', '-1', '--format=%s'])).trim()).toBe('sprintwave: WP01 Add things');
    expect(await wt.raw(['status', '--porcelain'])).toBe('');
  });

  it('counts work the executor committed itself and leaves ignored files alone', async () => {
    const wp = await prepareWorktree(input('WP01'));
    await writeAndCommit(wp.worktree, '.gitignore', 'dist/\n');
    await mkdir(path.join(wp.worktree, 'dist'));
    await writeFile(path.join(wp.worktree, 'dist', 'out.js'), 'built\n');

    const evidence = await commitWork({ ...wp, wpId: 'WP01', title: 'ignore' });

    expect(evidence).toMatchObject({
      files: ['.gitignore'],
      insertions: 1,
      deletions: 0,
      committedLeftovers: false,
    });
    expect(await read(wp.worktree, 'dist/out.js')).toBe('built\n');
    expect(await commitCount(fixtureGit(wp.worktree))).toBe(2);
  });

  it('measures against the base across commits of its own and leftovers', async () => {
    const wp = await prepareWorktree(input('WP01'));
    await writeAndCommit(wp.worktree, 'own.txt', 'one\ntwo\n');
    await writeFile(path.join(wp.worktree, 'left.txt'), 'over\n');
    await writeFile(path.join(wp.worktree, 'README.md'), 'replaced\n');

    const evidence = await commitWork({ ...wp, wpId: 'WP01', title: 'both' });

    expect(evidence).toMatchObject({
      files: ['README.md', 'left.txt', 'own.txt'],
      filesChanged: 3,
      insertions: 4,
      deletions: 1,
      committedLeftovers: true,
    });
    expect(await commitCount(fixtureGit(wp.worktree))).toBe(3);
  });

  it('reports no changes when nothing was done', async () => {
    const wp = await prepareWorktree(input('WP01'));
    const evidence = await commitWork({ ...wp, wpId: 'WP01', title: 'idle' });
    expect(evidence).toEqual({
      commit: wp.baseCommit,
      committedLeftovers: false,
      filesChanged: 0,
      insertions: 0,
      deletions: 0,
      files: [],
    });
  });

  it('commits on a machine with no git user, without writing any config', async () => {
    const wp = await prepareWorktree(input('WP01'));
    const home = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-home-'));
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    process.env.HOME = home;
    process.env.XDG_CONFIG_HOME = home;
    try {
      await writeFile(path.join(wp.worktree, 'new.ts'), 'x\n');
      const evidence = await commitWork({ ...wp, wpId: 'WP01', title: 'No user' });
      const author = await fixtureGit(wp.worktree).raw(['log', '-1', '--format=%an <%ae>']);
      expect(author.trim()).toBe('sprintwave <sprintwave@localhost>');
      expect(evidence.files).toEqual(['new.ts']);
      expect(existsSync(path.join(home, '.gitconfig'))).toBe(false);
    } finally {
      process.env.HOME = saved.HOME;
      if (saved.XDG_CONFIG_HOME === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved.XDG_CONFIG_HOME;
      await rm(home, { recursive: true, force: true });
    }
    expect(
      await box.git.raw(['config', '--local', '--get-regexp', '^user\\.']).catch(() => ''),
    ).toBe('');
  });
});
