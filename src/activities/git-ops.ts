/** Queries and merges on one repository or worktree directory, one git process each. */
import { unsafeIdReason } from '../domain/ids';
import {
  GitExitError,
  errorText,
  isLockError,
  openGit,
  permanent,
  runGit,
  withLockRetry,
} from './git-exec';

/** The commit a ref points to, or undefined when there is no such commit. */
export async function commitOf(dir: string, ref: string): Promise<string | undefined> {
  try {
    const args = ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`];
    return (await runGit(dir, args)).trim() || undefined;
  } catch (err) {
    if (err instanceof GitExitError && err.exitCode === 1) return undefined;
    throw err;
  }
}

/** The commit each name points to (undefined: none), all in one `git cat-file` process. */
export async function resolveCommits(
  dir: string,
  names: string[],
): Promise<(string | undefined)[]> {
  if (names.length === 0) return [];
  const input = names.map((name) => `${name}^{commit}\n`).join('');
  const out = await runGit(dir, ['cat-file', '--batch-check=%(objectname)'], { input });
  const lines = out.split('\n');
  return names.map((_name, i) => {
    const line = lines[i] ?? '';
    return /^[0-9a-f]{40,64}$/.test(line) ? line : undefined; // else "<name> missing"
  });
}

export async function headCommit(dir: string): Promise<string> {
  return (await runGit(dir, ['rev-parse', 'HEAD'])).trim();
}

/** True when `ancestor` is `of` or one of its ancestors: nothing in it is missing from `of`. */
export async function isAncestor(dir: string, ancestor: string, of: string): Promise<boolean> {
  try {
    await runGit(dir, ['merge-base', '--is-ancestor', '--end-of-options', ancestor, of]);
    return true;
  } catch (err) {
    if (err instanceof GitExitError && err.exitCode === 1) return false;
    throw err;
  }
}

/** Rejects refs that git would read as options or that cannot be branch names. */
export async function checkBranchName(dir: string, name: string, what: string): Promise<void> {
  // Names made of safe ids (like every sprintwave branch) are valid: no git process needed.
  const safe = name !== 'HEAD' && name.split('/').every((part) => !unsafeIdReason(part));
  if (safe) return;
  const valid =
    !name.startsWith('-') &&
    (await openGit(dir)
      .raw(['check-ref-format', '--branch', name])
      .then(
        () => true,
        (err: unknown) => (err instanceof GitExitError ? false : Promise.reject(err)),
      ));
  if (!valid) throw permanent('UnsafeId', `${what} '${name}' is not a valid branch name`);
}

/** A base ref is looked up, never parsed as an option or split across lines. */
export function checkBaseRef(base: string): void {
  // eslint-disable-next-line no-control-regex
  if (base.startsWith('-') || /[\u0000-\u001f\u007f]/.test(base)) {
    throw permanent('UnsafeId', `base '${base}' is not a valid ref`);
  }
}

/** Which of `branches` exist, or with `mergedInto`, which are contained in that commit. */
export async function branchesAmong(
  dir: string,
  branches: string[],
  mergedInto?: string,
): Promise<Set<string>> {
  if (branches.length === 0) return new Set();
  const filter = mergedInto === undefined ? [] : [`--merged=${mergedInto}`];
  const refs = branches.map((branch) => `refs/heads/${branch}`);
  const out = await runGit(dir, ['for-each-ref', '--format=%(refname)', ...filter, ...refs]);
  const wanted = new Set(refs);
  // A pattern also matches refs below it (`a` matches `a/b`): keep exact names only.
  const found = out.split('\n').filter((ref) => wanted.has(ref));
  return new Set(found.map((ref) => ref.slice('refs/heads/'.length)));
}

export async function unmergedFiles(dir: string): Promise<string[]> {
  const out = await runGit(dir, ['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(out.split('\0').filter(Boolean))].sort();
}

export async function abortMergeInProgress(dir: string): Promise<void> {
  if (await commitOf(dir, 'MERGE_HEAD')) await runGit(dir, ['merge', '--abort']);
}

export interface StatusEntry {
  /** Two-letter status code of `git status --porcelain`, e.g. ' M', '??', 'UU'. */
  code: string;
  path: string;
}

const UNMERGED_CODES = new Set(['DD', 'AU', 'UD', 'UA', 'DU', 'AA', 'UU']);

/** Uncommitted changes, untracked files included, ignored files excluded. */
export async function worktreeStatus(dir: string): Promise<StatusEntry[]> {
  const args = ['status', '--porcelain=v1', '-z', '--untracked-files=all'];
  const fields = (await runGit(dir, args)).split('\0');
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field.length < 4) continue;
    const code = field.slice(0, 2);
    entries.push({ code, path: field.slice(3) });
    if (/[RC]/.test(code)) i++; // a rename or copy is followed by its source path
  }
  return entries;
}

export function isUnmerged(entry: StatusEntry): boolean {
  return UNMERGED_CODES.has(entry.code);
}

export type MergeOutcome =
  | { conflict: false; /** Nothing to merge: no commit was made. */ upToDate: boolean }
  | { conflict: true; files: string[] };

/** Merges, or on a conflict aborts and names the conflicting files; never resolves anything. */
export async function mergeOrAbort(
  dir: string,
  args: string[],
  identity: string[],
): Promise<MergeOutcome> {
  try {
    const out = await withLockRetry(() => runGit(dir, ['merge', ...args], { config: identity }));
    return { conflict: false, upToDate: /^Already up.to.date/m.test(out) };
  } catch (err) {
    const files = await unmergedFiles(dir);
    await abortMergeInProgress(dir);
    if (files.length > 0) return { conflict: true, files };
    if (isLockError(err)) throw err;
    throw permanent('MergeFailed', `git merge ${args.join(' ')} failed: ${errorText(err)}`);
  }
}

export type TreeMerge = { clean: true; tree: string } | { clean: false; files: string[] };

/**
 * Merges two commits into a tree with `git merge-tree`: objects are written, no ref, index or
 * worktree is touched. `--stdin` mode: git exits 0 for a conflict too and prints the status
 * first, so a non-zero exit is only ever a real failure (such as unrelated histories).
 */
export async function mergeTree(dir: string, ours: string, theirs: string): Promise<TreeMerge> {
  const args = ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', '--stdin'];
  let out: string;
  try {
    out = await runGit(dir, args, { input: `${ours} ${theirs}\n` });
  } catch (err) {
    if (!(err instanceof GitExitError)) throw err;
    throw permanent('MergeFailed', `merging ${theirs} into ${ours} failed: ${errorText(err)}`);
  }
  // <status> NUL <tree> NUL <conflicted path> NUL ... NUL
  const [status, tree = '', ...rest] = out.split('\0');
  if (status === '1') return { clean: true, tree };
  if (status !== '0') {
    throw permanent('MergeFailed', `merging ${theirs} into ${ours} failed (status ${status})`);
  }
  const end = rest.indexOf('');
  const files = end === -1 ? rest : rest.slice(0, end);
  return { clean: false, files: [...new Set(files)].sort() };
}

export interface NewCommit {
  tree: string;
  parents: string[];
  message: string;
}

/** Writes a commit object with `git commit-tree`; the caller's settings pick identity and signing. */
export async function commitTree(
  dir: string,
  commit: NewCommit,
  options: { config?: string[]; env?: Record<string, string>; sign?: boolean } = {},
): Promise<string> {
  const sign = options.sign === false ? ['--no-gpg-sign'] : [];
  const parents = commit.parents.flatMap((parent) => ['-p', parent]);
  const args = ['commit-tree', ...sign, ...parents, '-m', commit.message, commit.tree];
  const out = await runGit(dir, args, { config: options.config, env: options.env });
  return out.trim();
}
