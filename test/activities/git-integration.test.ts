import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { commitWork, mergeIntoIntegration, removeWorktree } from '../../src/activities/git';
import type { MergeIntoIntegrationInput, PreparedWorktree } from '../../src/activities/git';
import { gitCounters } from '../../src/activities/git-exec';
import {
  commitCount,
  fixtureGit,
  makeSandbox,
  preparePackage,
  read,
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

const prepare = (wpId: string, dependencyBranches: string[] = []): Promise<PreparedWorktree> =>
  preparePackage(box, wpId, dependencyBranches);

function integration(packages: PreparedWorktree[]): MergeIntoIntegrationInput {
  return {
    repo: box.repo,
    sprintId: 's1',
    base: 'main',
    branch: 'sprintwave/s1/integration',
    packages: packages.map((p) => ({ wpId: path.basename(p.worktree), branch: p.branch })),
    worktreeRoot: box.worktreeRoot,
    owner: 'run-1',
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter(
      (e) => e.isFile() && !e.parentPath.split(path.sep).includes('.git') && e.name !== '.git',
    )
    .map((e) => path.join(e.parentPath, e.name));
}

describe('mergeIntoIntegration', () => {
  it('merges in order, reports a conflict with its files and goes on; a retry is a no-op', async () => {
    const wp1 = await prepare('WP01');
    await writeAndCommit(wp1.worktree, 'shared.txt', 'value=1\n');
    const wp2 = await prepare('WP02', [wp1.branch]);
    await writeAndCommit(wp2.worktree, 'b.txt', 'from WP02\n');
    const wp3 = await prepare('WP03');
    await writeAndCommit(wp3.worktree, 'shared.txt', 'value=3\n');

    const first = await mergeIntoIntegration(integration([wp1, wp3, wp2]));

    expect(first).toEqual({
      branch: 'sprintwave/s1/integration',
      worktree: path.join(box.worktreeRoot, 's1', '_integration'),
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      merged: ['WP01', 'WP02'],
      conflicts: [{ wpId: 'WP03', branch: wp3.branch, files: ['shared.txt'] }],
      alreadyMerged: [],
      missing: [],
    });
    const wt = fixtureGit(first.worktree);
    const subjects = (await wt.raw(['log', '--first-parent', '--format=%s', 'main..HEAD'])).trim();
    expect(subjects.split('\n')).toEqual(['sprintwave: merge WP02', 'sprintwave: merge WP01']);
    expect(await read(first.worktree, 'shared.txt')).toBe('value=1\n');
    expect(await read(first.worktree, 'b.txt')).toBe('from WP02\n');
    expect(await wt.raw(['status', '--porcelain'])).toBe('');
    for (const file of await filesUnder(first.worktree)) {
      expect(await readFile(file, 'utf8')).not.toMatch(/^(<<<<<<<|>>>>>>>)/m);
    }

    const count = await commitCount(wt);
    const retry = await mergeIntoIntegration(integration([wp1, wp3, wp2]));

    expect(retry).toEqual({ ...first, alreadyMerged: ['WP01', 'WP02'] });
    expect(await commitCount(wt)).toBe(count);
  });

  it('aborts a merge a crash left half-done, then merges as before', async () => {
    const wp1 = await prepare('WP01');
    await writeAndCommit(wp1.worktree, 'shared.txt', 'value=1\n');
    const wp3 = await prepare('WP03');
    await writeAndCommit(wp3.worktree, 'shared.txt', 'value=3\n');
    const first = await mergeIntoIntegration(integration([wp1, wp3]));
    const wt = fixtureGit(first.worktree);
    // Plain simple-git reports a conflicted merge as success; the merge is left in progress.
    expect(await wt.raw(['merge', '--no-ff', '--no-edit', wp3.branch])).toMatch(/CONFLICT/);
    expect(await wt.raw(['status', '--porcelain'])).toMatch(/^UU shared.txt/m);

    const retry = await mergeIntoIntegration(integration([wp1, wp3]));

    expect(retry).toEqual({ ...first, alreadyMerged: ['WP01'] });
    expect(await wt.raw(['status', '--porcelain'])).toBe('');
  });

  it('reads which branches exist and are merged once, then spends two git processes per merge', async () => {
    const packages: PreparedWorktree[] = [];
    for (const id of ['WP01', 'WP02', 'WP03', 'WP04', 'WP05', 'WP06']) {
      const wp = await prepare(id);
      await writeAndCommit(wp.worktree, `${id}.txt`, `${id}\n`);
      packages.push(wp);
    }
    const before = gitCounters().processes;

    const merge = await mergeIntoIntegration(integration(packages));

    expect(merge.merged).toHaveLength(6);
    // cat-file, branch + worktree add, for-each-ref, rev-parse, the identity lookup, merge-tree
    // and commit-tree each, one reset, then the maintenance setting and the one maintenance run
    expect(gitCounters().processes - before).toBeLessThanOrEqual(2 * packages.length + 9);
  });

  it('makes the merge commits git would: one per package, with the repository identity, the files in the worktree', async () => {
    const wp1 = await prepare('WP01');
    await writeAndCommit(wp1.worktree, 'notes.txt', 'one\n');
    await writeAndCommit(wp1.worktree, 'same.txt', 'same\n');
    const wp2 = await prepare('WP02', [wp1.branch]);
    await writeAndCommit(wp2.worktree, 'notes.txt', 'one\ntwo\n');
    // Changes nothing the tip lacks, yet its commit is not in it: a merge commit, as with --no-ff.
    const wp3 = await prepare('WP03');
    await writeAndCommit(wp3.worktree, 'same.txt', 'same\n');
    await fixtureGit(box.repo).addConfig('user.name', 'Integration Owner');

    const merge = await mergeIntoIntegration(integration([wp1, wp2, wp3]));

    expect(merge).toMatchObject({ merged: ['WP01', 'WP02', 'WP03'], alreadyMerged: [] });
    const wt = fixtureGit(merge.worktree);
    const log = await wt.raw(['log', '--first-parent', '--format=%an|%p|%s', 'main..HEAD']);
    const lines = log.trim().split('\n');
    expect(lines.map((line) => line.split('|')[2])).toEqual([
      'sprintwave: merge WP03',
      'sprintwave: merge WP02',
      'sprintwave: merge WP01',
    ]);
    for (const line of lines) {
      const [author, parents] = line.split('|');
      expect(author).toBe('Integration Owner');
      expect(parents?.split(' ')).toHaveLength(2);
    }
    expect((await wt.raw(['rev-parse', 'HEAD'])).trim()).toBe(merge.commit);
    expect(await read(merge.worktree, 'notes.txt')).toBe('one\ntwo\n');
    expect(await wt.raw(['status', '--porcelain'])).toBe('');
  });

  it('moves the integration branch once, at the end: a merge that fails leaves it where it was', async () => {
    const wp1 = await prepare('WP01');
    await writeAndCommit(wp1.worktree, 'a.txt', 'from WP01\n');
    const repo = fixtureGit(box.repo);
    const emptyTree = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'; // git knows it without storing it
    const unrelated = (await repo.raw(['commit-tree', '-m', 'elsewhere', emptyTree])).trim();
    await repo.raw(['update-ref', 'refs/heads/sprintwave/s1/WP09', unrelated]);
    const input = integration([wp1]);
    input.packages.push({ wpId: 'WP09', branch: 'sprintwave/s1/WP09' });

    await expect(mergeIntoIntegration(input)).rejects.toThrow(/WP09|unrelated/);

    const main = (await repo.revparse(['main'])).trim();
    expect((await repo.revparse([input.branch])).trim()).toBe(main);
    const after = await mergeIntoIntegration(integration([wp1]));
    expect(after).toMatchObject({ merged: ['WP01'], alreadyMerged: [] });
  });

  it('merges hundreds of branches with a commit-graph kept up to date beside them', async () => {
    const ids = Array.from({ length: 300 }, (_, n) => `P${String(n).padStart(3, '0')}`);
    // Branches written in one go: each adds its own file under a directory per hundred.
    const stream = ids
      .map((id) => {
        const file = `${id.slice(0, 2)}/${id}.txt`;
        return [
          `commit refs/heads/sprintwave/s1/${id}`,
          'committer Fixture <fixture@example.com> 946684800 +0000',
          `data ${id.length}`,
          id,
          'from refs/heads/main^0',
          `M 100644 inline ${file}`,
          `data ${id.length + 1}`,
          id,
          '',
        ].join('\n');
      })
      .join('\n');
    execFileSync('git', ['-C', box.repo, 'fast-import', '--quiet'], { input: stream });
    const input = integration([]);
    input.packages = ids.map((id) => ({ wpId: id, branch: `sprintwave/s1/${id}` }));

    const merge = await mergeIntoIntegration(input);

    expect(merge.merged).toEqual(ids);
    expect(merge.conflicts).toEqual([]);
    const wt = fixtureGit(merge.worktree);
    expect(await read(merge.worktree, 'P2/P299.txt')).toBe('P299\n');
    expect(await wt.raw(['status', '--porcelain'])).toBe('');
    const merges = await wt.raw(['rev-list', '--count', '--merges', 'main..HEAD']);
    expect(Number(merges)).toBe(300);
    const graph = await wt.raw(['commit-graph', 'verify', '--shallow']);
    expect(graph).toBe('');
    const chain = await readFile(
      path.join(box.repo, '.git/objects/info/commit-graphs/commit-graph-chain'),
      'utf8',
    );
    expect(chain.trim().split('\n').length).toBeGreaterThanOrEqual(1);
  });

  it('counts a branch that an earlier one of the same call brought in as already merged', async () => {
    const wp1 = await prepare('WP01');
    await writeAndCommit(wp1.worktree, 'a.txt', 'from WP01\n');
    const wp2 = await prepare('WP02', [wp1.branch]);
    await writeAndCommit(wp2.worktree, 'b.txt', 'from WP02\n');

    const first = await mergeIntoIntegration(integration([wp2, wp1]));

    expect(first).toMatchObject({ merged: ['WP02', 'WP01'], alreadyMerged: ['WP01'] });
    const retry = await mergeIntoIntegration(integration([wp2, wp1]));
    expect(retry).toEqual({ ...first, alreadyMerged: ['WP02', 'WP01'] });
  });

  it('will not take over a branch it did not create', async () => {
    const wp1 = await prepare('WP01');
    await box.git.raw(['branch', 'sprintwave/s1/integration', 'main']);
    await expect(mergeIntoIntegration(integration([wp1]))).rejects.toMatchObject({
      type: 'BranchExists',
      nonRetryable: true,
    });
  });
});

describe('git maintenance', () => {
  // A maintenance task that, when it runs, always leaves a file behind: a commit graph.
  const commitGraphWritten = (): boolean =>
    ['commit-graph', 'commit-graphs'].some((name) =>
      existsSync(path.join(box.repo, '.git', 'objects', 'info', name)),
    );

  beforeEach(async () => {
    await box.git.raw(['config', 'maintenance.gc.enabled', 'false']);
    await box.git.raw(['config', 'maintenance.commit-graph.enabled', 'true']);
    await box.git.raw(['config', 'maintenance.commit-graph.auto', '-1']);
  });

  it("runs once a sprint, at the integration, not after every package's commit and merge", async () => {
    const packageWork = async (wpId: string, deps: string[]): Promise<PreparedWorktree> => {
      const wp = await prepare(wpId, deps);
      await writeFile(path.join(wp.worktree, `${wpId}.txt`), `${wpId}\n`);
      await commitWork({ worktree: wp.worktree, wpId, title: wpId, baseCommit: wp.baseCommit });
      return wp;
    };
    const wp1 = await packageWork('WP01', []);
    const wp2 = await packageWork('WP02', [wp1.branch]); // a commit and a merge
    expect(commitGraphWritten()).toBe(false);

    await mergeIntoIntegration(integration([wp1, wp2]));
    expect(commitGraphWritten()).toBe(true);
  });

  it('is left alone where the repository turned automatic maintenance off', async () => {
    await box.git.raw(['config', 'maintenance.auto', 'false']);
    const wp1 = await prepare('WP01');
    await writeAndCommit(wp1.worktree, 'a.txt', 'a\n');
    const merge = await mergeIntoIntegration(integration([wp1]));
    expect(merge.merged).toEqual(['WP01']);
    expect(commitGraphWritten()).toBe(false);
  });
});

describe('removeWorktree', () => {
  it('refuses while work is uncommitted or unmerged, then removes and keeps the branch', async () => {
    const wp = await prepare('WP01');
    await writeFile(path.join(wp.worktree, 'wip.txt'), 'not committed yet\n');
    const target = { repo: box.repo, worktree: wp.worktree, branch: wp.branch };

    const dirty = await removeWorktree(target);
    expect(dirty).toEqual({ removed: false, reason: expect.stringContaining('wip.txt') });
    expect(await read(wp.worktree, 'wip.txt')).toBe('not committed yet\n');

    const evidence = await commitWork({ ...wp, wpId: 'WP01', title: 'wip' });
    const unmerged = await removeWorktree(target);
    expect(unmerged).toEqual({ removed: false, reason: expect.stringMatching(/not merged/) });
    expect(existsSync(wp.worktree)).toBe(true);

    const merge = await mergeIntoIntegration(integration([wp]));
    const notThere = await removeWorktree({ ...target, mergedInto: 'main' });
    expect(notThere).toEqual({
      removed: false,
      reason: expect.stringMatching(/not merged into main/),
    });

    expect(await removeWorktree({ ...target, mergedInto: merge.branch })).toEqual({
      removed: true,
    });
    expect(existsSync(wp.worktree)).toBe(false);
    expect((await box.git.raw(['rev-parse', wp.branch])).trim()).toBe(evidence.commit);
    expect(await removeWorktree(target)).toMatchObject({ removed: true });
  });
});
