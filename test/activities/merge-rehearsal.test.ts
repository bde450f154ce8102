import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mergeIntoIntegration } from '../../src/activities/git';
import type { PreparedWorktree } from '../../src/activities/git';
import { rehearseMerge } from '../../src/activities/merge-rehearsal';
import type { MergeRehearsal } from '../../src/activities/merge-rehearsal';
import { rehearsalWork } from '../../src/domain/rehearsal';
import type { RehearsedPackage } from '../../src/domain/rehearsal';
import { commitAll, fixtureGit, makeSandbox, preparePackage, rev } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

let box: Sandbox;

const NOTES = Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join('');

beforeEach(async () => {
  box = await makeSandbox();
  // A longer file: packages may edit far-apart lines of it and still merge cleanly.
  await writeFile(path.join(box.repo, 'notes.txt'), NOTES);
  await commitAll(box.git, 'notes');
});

afterEach(async () => {
  await box.cleanup();
});

const prepare = (wpId: string, dependencyBranches: string[] = []): Promise<PreparedWorktree> =>
  preparePackage(box, wpId, dependencyBranches);

/** Rewrites one line of a file that is already there, and commits. */
async function editLine(wp: PreparedWorktree, file: string, from: string, to: string) {
  const full = path.join(wp.worktree, file);
  const text = await readFile(full, 'utf8');
  expect(text).toContain(from);
  await writeFile(full, text.replace(from, to));
  return commitAll(fixtureGit(wp.worktree), `edit ${file}`);
}

async function appendLine(wp: PreparedWorktree, file: string, line: string) {
  await appendFile(path.join(wp.worktree, file), `${line}\n`);
  return commitAll(fixtureGit(wp.worktree), `append to ${file}`);
}

function packagesOf(...wps: PreparedWorktree[]) {
  return wps.map((wp) => ({ wpId: path.basename(wp.worktree), branch: wp.branch }));
}

type Rehearsal = MergeRehearsal & { rehearsed: RehearsedPackage[]; reused: number };

/**
 * What the sprint does when a package completes: keeps the rehearsed packages that still hold
 * (`rehearsalWork`, keyed by each branch's commit) and asks git for the rest.
 */
async function rehearse(
  packages: { wpId: string; branch: string }[],
  previous?: Rehearsal,
): Promise<Rehearsal> {
  const heads = await Promise.all(
    packages.map(async (pkg) => ({
      wpId: pkg.wpId,
      head: await rev(box.git, pkg.branch).catch(() => 'missing'),
    })),
  );
  const work = rehearsalWork(previous?.rehearsed ?? [], heads);
  const rest = packages.slice(work.kept.length);
  const result = await rehearseMerge({
    repo: box.repo,
    sprintId: 's1',
    base: 'main',
    ...(work.from ? { from: work.from } : {}),
    packages: rest,
  });
  const rehearsed = [
    ...work.kept,
    ...result.steps.map((step, i) => ({
      wpId: step.wpId,
      head: heads[work.kept.length + i]?.head ?? '',
      tip: step.tip,
      ...(step.conflict
        ? { conflict: { wpId: step.wpId, with: step.conflict.with, files: step.conflict.files } }
        : {}),
    })),
  ];
  return {
    ...result,
    tip: rehearsed.at(-1)?.tip ?? result.base,
    conflicts: [
      ...(previous?.conflicts ?? []).filter((c) => work.kept.some((k) => k.wpId === c.wpId)),
      ...result.conflicts,
    ],
    rehearsed,
    reused: work.kept.length,
  };
}

async function treeOf(commit: string): Promise<string> {
  return rev(box.git, `${commit}^{tree}`);
}

/** Everything about the repository but its object store: refs, HEAD, index, status, worktrees. */
async function repositoryState(): Promise<Record<string, string>> {
  const gitDir = path.join(box.repo, '.git');
  const entries = await readdir(gitDir, { recursive: true, withFileTypes: true });
  const state: Record<string, string> = {};
  for (const entry of entries) {
    const file = path.join(entry.parentPath, entry.name);
    const relative = path.relative(gitDir, file);
    const own = relative.startsWith(path.join('refs', 'sprintwave-rehearsal'));
    if (!entry.isFile() || relative.split(path.sep)[0] === 'objects' || own) continue;
    state[relative] = createHash('sha1')
      .update(await readFile(file))
      .digest('hex');
  }
  const git = box.git;
  state['git status'] = await git.raw(['--no-optional-locks', 'status', '--porcelain', '-uall']);
  // The one ref a rehearsal moves is its own, outside branches: every other ref is as it was.
  const refs = await git.raw(['for-each-ref', '--format=%(refname) %(objectname)']);
  state['git for-each-ref'] = refs
    .split('\n')
    .filter((line) => !line.startsWith('refs/sprintwave-rehearsal/'))
    .join('\n');
  state['git worktree list'] = await git.raw(['worktree', 'list', '--porcelain']);
  state['HEAD'] = await git.raw(['symbolic-ref', 'HEAD']);
  return state;
}

describe('rehearseMerge', () => {
  it('finds packages editing different places clean and leaves the repository as it was', async () => {
    const wp1 = await prepare('WP01');
    await editLine(wp1, 'notes.txt', 'line 2\n', 'line two\n');
    await editLine(wp1, 'shared.txt', 'value=0', 'value=1');
    const wp2 = await prepare('WP02');
    await appendLine(wp2, 'notes.txt', 'line 11');
    await appendLine(wp2, 'README.md', 'more from WP02');
    const before = await repositoryState();

    const rehearsal = await rehearse(packagesOf(wp1, wp2));

    expect(rehearsal).toMatchObject({ conflicts: [], missing: [], reused: 0, mergeTrees: 2 });
    expect(rehearsal.steps.map((s) => s.outcome)).toEqual(['merged', 'merged']);
    expect(rehearsal.steps[0]).toMatchObject({
      from: await rev(box.git, 'main'),
      head: await rev(box.git, wp1.branch),
    });
    const notes = await box.git.raw(['show', `${rehearsal.tip}:notes.txt`]);
    expect(notes).toBe(NOTES.replace('line 2\n', 'line two\n') + 'line 11\n');
    expect(await repositoryState()).toEqual(before);
    // Only the sprint's rehearsal ref holds the rehearsal's commits: no branch contains them.
    expect(
      await box.git.raw(['for-each-ref', '--format=%(refname)', `--contains=${rehearsal.tip}`]),
    ).toBe('refs/sprintwave-rehearsal/s1\n');
  });

  it('gives the same commit ids when run again', async () => {
    const wp1 = await prepare('WP01');
    await editLine(wp1, 'shared.txt', 'value=0', 'value=1');
    const wp2 = await prepare('WP02');
    await editLine(wp2, 'shared.txt', 'value=0', 'value=2');
    const wp3 = await prepare('WP03');
    await appendLine(wp3, 'README.md', 'from WP03');

    const first = await rehearse(packagesOf(wp1, wp2, wp3));
    const second = await rehearse(packagesOf(wp1, wp2, wp3));

    expect(second).toEqual(first);
    expect(first.tip).not.toBe(first.base);
    // Not the clock's: a rehearsal a second later names its commits the same way.
    const stamp = await box.git.raw(['show', '-s', '--format=%an %at %cn %ct', first.tip]);
    expect(stamp.trim()).toBe('sprintwave 946684800 sprintwave 946684800');
  });

  it('reports a conflict on the same lines with its file and the package on the other side', async () => {
    const wp1 = await prepare('WP01');
    await editLine(wp1, 'shared.txt', 'value=0', 'value=1');
    const wp2 = await prepare('WP02', [wp1.branch]); // carries WP01's edit, makes none there
    await appendLine(wp2, 'README.md', 'from WP02');
    const wp3 = await prepare('WP03');
    await editLine(wp3, 'shared.txt', 'value=0', 'value=3');
    await appendLine(wp3, 'notes.txt', 'from WP03');

    const rehearsal = await rehearse(packagesOf(wp1, wp2, wp3));

    expect(rehearsal.conflicts).toEqual([
      { wpId: 'WP03', branch: wp3.branch, files: ['shared.txt'], with: ['WP01'] },
    ]);
    const [, second, third] = rehearsal.steps;
    expect(third).toMatchObject({ outcome: 'conflict', from: second?.tip, tip: second?.tip });
    // The same verdict and the same tree as the real merge, which skips the conflicting branch.
    const real = await mergeIntoIntegration({
      repo: box.repo,
      sprintId: 's1',
      base: 'main',
      branch: 'sprintwave/s1/integration',
      packages: packagesOf(wp1, wp2, wp3),
      worktreeRoot: box.worktreeRoot,
      owner: 'run-1',
    });
    expect(real.conflicts).toEqual([{ wpId: 'WP03', branch: wp3.branch, files: ['shared.txt'] }]);
    expect(await treeOf(rehearsal.tip)).toBe(await treeOf(real.commit));
  });

  it('is clean again once the conflicting package is redone on top of the other', async () => {
    const wp1 = await prepare('WP01');
    await editLine(wp1, 'shared.txt', 'value=0', 'value=1');
    const wp2 = await prepare('WP02');
    await editLine(wp2, 'shared.txt', 'value=0', 'value=2');
    const conflicted = await rehearse(packagesOf(wp1, wp2));
    expect(conflicted.conflicts).toMatchObject([{ wpId: 'WP02', with: ['WP01'] }]);

    // A retry that rebases: WP02's branch starts again from WP01's and makes its edit there.
    const wt2 = fixtureGit(wp2.worktree);
    await wt2.raw(['reset', '--hard', wp1.branch]);
    await editLine(wp2, 'shared.txt', 'value=1', 'value=2');
    const retried = await rehearse(packagesOf(wp1, wp2), conflicted);

    expect(retried).toMatchObject({ conflicts: [], reused: 1, mergeTrees: 1 });
    expect(await box.git.raw(['show', `${retried.tip}:shared.txt`])).toBe('value=2\n');
  });

  it('merges only what is new: an appended package costs one merge-tree', async () => {
    const wps: PreparedWorktree[] = [];
    for (const id of ['WP01', 'WP02', 'WP03', 'WP04']) {
      const wp = await prepare(id);
      // Lines 1, 4, 7, 10: far enough apart to merge cleanly.
      await editLine(wp, 'notes.txt', `line ${wps.length * 3 + 1}\n`, `${id} was here\n`);
      wps.push(wp);
    }
    const [wp1, wp2, wp3, wp4] = wps as [PreparedWorktree, ...PreparedWorktree[]];

    const two = await rehearse(packagesOf(wp1, wp2!));
    const three = await rehearse(packagesOf(wp1, wp2!, wp3!), two);
    expect(three).toMatchObject({ reused: 2, mergeTrees: 1 });
    expect(three.rehearsed.slice(0, 2)).toEqual(two.rehearsed);
    const freshThree = await rehearse(packagesOf(wp1, wp2!, wp3!));
    expect(three.rehearsed).toEqual(freshThree.rehearsed);
    expect(three.tip).toBe(freshThree.tip);

    // WP02 moves on (a retry): WP02 and everything after it is merged again, WP01 is kept.
    await editLine(wp2!, 'shared.txt', 'value=0', 'value=2');
    const four = await rehearse(packagesOf(wp1, wp2!, wp3!, wp4!), three);
    expect(four).toMatchObject({ conflicts: [], reused: 1, mergeTrees: 3 });
    const fresh = await rehearse(packagesOf(wp1, wp2!, wp3!, wp4!));
    expect(four.rehearsed).toEqual(fresh.rehearsed);
    expect(four.tip).toBe(fresh.tip);
  });

  it('reports a branch that does not exist as missing and goes on', async () => {
    const wp1 = await prepare('WP01');
    await editLine(wp1, 'shared.txt', 'value=0', 'value=1');
    const wp2 = await prepare('WP02');
    await appendLine(wp2, 'README.md', 'from WP02');
    const ghost = { wpId: 'WP09', branch: 'sprintwave/s1/WP09' };

    const rehearsal = await rehearse([...packagesOf(wp1), ghost, ...packagesOf(wp2)]);

    expect(rehearsal).toMatchObject({ missing: ['WP09'], conflicts: [], mergeTrees: 2 });
    expect(rehearsal.steps[1]).toEqual({
      ...ghost,
      from: rehearsal.steps[0]?.tip,
      tip: rehearsal.steps[0]?.tip,
      outcome: 'missing',
    });
    expect(rehearsal.steps[2]?.outcome).toBe('merged');
  });

  it("predicts the real merge's tree for clean packages, dependencies included", async () => {
    const wp1 = await prepare('WP01');
    await editLine(wp1, 'notes.txt', 'line 1\n', 'first line\n');
    await appendLine(wp1, 'shared.txt', 'extra=1');
    const wp2 = await prepare('WP02', [wp1.branch]);
    await editLine(wp2, 'shared.txt', 'extra=1', 'extra=2');
    const wp3 = await prepare('WP03');
    await editLine(wp3, 'notes.txt', 'line 9\n', 'ninth line\n');
    await appendLine(wp3, 'README.md', 'from WP03');
    const packages = packagesOf(wp1, wp2, wp3);

    const rehearsal = await rehearse(packages);
    const real = await mergeIntoIntegration({
      repo: box.repo,
      sprintId: 's1',
      base: 'main',
      branch: 'sprintwave/s1/integration',
      packages,
      worktreeRoot: box.worktreeRoot,
      owner: 'run-1',
    });

    expect(rehearsal.conflicts).toEqual([]);
    expect(real.merged).toEqual(['WP01', 'WP02', 'WP03']);
    expect(await treeOf(rehearsal.tip)).toBe(await treeOf(real.commit));
  });
});
