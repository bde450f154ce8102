import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
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

  it('reads which branches exist and are merged once, then spends one git process per merge', async () => {
    const packages: PreparedWorktree[] = [];
    for (const id of ['WP01', 'WP02', 'WP03', 'WP04', 'WP05', 'WP06']) {
      const wp = await prepare(id);
      await writeAndCommit(wp.worktree, `${id}.txt`, `${id}\n`);
      packages.push(wp);
    }
    const before = gitCounters().processes;

    const merge = await mergeIntoIntegration(integration(packages));

    expect(merge.merged).toHaveLength(6);
    // cat-file, branch + worktree add, two for-each-ref, the identity lookup, one merge each,
    // rev-parse, then the maintenance setting and the one maintenance run
    expect(gitCounters().processes - before).toBeLessThanOrEqual(packages.length + 9);
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
