import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { GitError, simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';

/** A git command that exited non-zero (simple-git alone ignores failures with an empty stderr). */
export class GitExitError extends GitError {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(undefined, message);
    this.name = 'GitExitError';
  }
}

/** Used only when the repository (with its global/system config) names no user. */
const FALLBACK_IDENTITY = { name: 'sprintwave', email: 'sprintwave@localhost' };

export function permanent(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

export function openGit(dir: string, config: string[] = []): SimpleGit {
  try {
    return simpleGit({
      baseDir: dir,
      config,
      errors: (error, result) => {
        if (result.exitCode === 0) return error;
        const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8').trim();
        const detail = text(result.stdErr) || text(result.stdOut);
        return new GitExitError(result.exitCode, detail || `git exited with ${result.exitCode}`);
      },
    });
  } catch (err) {
    throw permanent('NotARepository', `cannot use ${dir} as a git directory: ${String(err)}`);
  }
}

/** A git instance that can commit: adds `-c user.*` only for what the user's config lacks. */
export async function openCommitter(dir: string): Promise<SimpleGit> {
  const git = openGit(dir);
  const config: string[] = [];
  if (!(await configGet(git, 'user.name'))) config.push(`user.name=${FALLBACK_IDENTITY.name}`);
  if (!(await configGet(git, 'user.email'))) config.push(`user.email=${FALLBACK_IDENTITY.email}`);
  return config.length === 0 ? git : openGit(dir, config);
}

// simple-git waits an extra 50 ms for any git process that prints nothing, so the queries below
// are phrased to always print something (`--default ''`, rev-list --count, status --branch).

export async function configGet(git: SimpleGit, key: string): Promise<string | undefined> {
  const value = (await git.raw(['config', '--default', '', '--get', key])).trim();
  return value ? value : undefined;
}

export async function configSet(git: SimpleGit, key: string, value: string): Promise<void> {
  await withLockRetry(() => git.raw(['config', '--replace-all', key, value]));
}

/** The commit a ref points to, or undefined when there is no such commit. */
export async function commitOf(git: SimpleGit, ref: string): Promise<string | undefined> {
  try {
    return (await git.raw(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`])).trim();
  } catch (err) {
    if (err instanceof GitExitError && /Needed a single revision/.test(err.message))
      return undefined;
    throw err;
  }
}

export async function headCommit(git: SimpleGit): Promise<string> {
  return (await git.raw(['rev-parse', 'HEAD'])).trim();
}

/** True when `ancestor` is `of` or one of its ancestors: nothing in it is missing from `of`. */
export async function isAncestor(git: SimpleGit, ancestor: string, of: string): Promise<boolean> {
  const out = await git.raw(['rev-list', '--count', '--end-of-options', `${of}..${ancestor}`]);
  return out.trim() === '0';
}

/** Rejects refs that git would read as options or that cannot be branch names. */
export async function checkBranchName(git: SimpleGit, name: string, what: string): Promise<void> {
  const valid =
    !name.startsWith('-') &&
    (await git.raw(['check-ref-format', '--branch', name]).then(
      () => true,
      (err: unknown) => (err instanceof GitExitError ? false : Promise.reject(err)),
    ));
  if (!valid) throw permanent('UnsafeId', `${what} '${name}' is not a valid branch name`);
}

export async function unmergedFiles(git: SimpleGit): Promise<string[]> {
  const out = await git.raw(['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(out.split('\0').filter(Boolean))].sort();
}

export async function abortMergeInProgress(git: SimpleGit): Promise<void> {
  if (await commitOf(git, 'MERGE_HEAD')) await git.raw(['merge', '--abort']);
}

export interface StatusEntry {
  /** Two-letter status code of `git status --porcelain`, e.g. ' M', '??', 'UU'. */
  code: string;
  path: string;
}

const UNMERGED_CODES = new Set(['DD', 'AU', 'UD', 'UA', 'DU', 'AA', 'UU']);

/** Uncommitted changes, untracked files included, ignored files excluded. */
export async function worktreeStatus(git: SimpleGit): Promise<StatusEntry[]> {
  const args = ['status', '--porcelain=v1', '-z', '--branch', '--untracked-files=all'];
  const fields = (await git.raw(args)).split('\0');
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field.length < 4 || field.startsWith('## ')) continue;
    const code = field.slice(0, 2);
    entries.push({ code, path: field.slice(3) });
    if (/[RC]/.test(code)) i++; // a rename or copy is followed by its source path
  }
  return entries;
}

export function isUnmerged(entry: StatusEntry): boolean {
  return UNMERGED_CODES.has(entry.code);
}

export type MergeOutcome = { conflict: false } | { conflict: true; files: string[] };

/** Merges, or on a conflict aborts and names the conflicting files; never resolves anything. */
export async function mergeOrAbort(git: SimpleGit, args: string[]): Promise<MergeOutcome> {
  try {
    await withLockRetry(() => git.raw(['merge', ...args]));
    return { conflict: false };
  } catch (err) {
    const files = await unmergedFiles(git);
    await abortMergeInProgress(git);
    if (files.length > 0) return { conflict: true, files };
    if (isLockError(err)) throw err;
    throw permanent('MergeFailed', `git merge ${args.join(' ')} failed: ${errorText(err)}`);
  }
}

const LOCK_ERROR = /\.lock'?: File exists|could not lock config file/i;

function isLockError(err: unknown): boolean {
  return err instanceof Error && LOCK_ERROR.test(err.message);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Parallel packages share one repository: ride out another git process holding a lock file. */
export async function withLockRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isLockError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (1 + Math.random())));
    }
  }
}

/** Absolute path with symlinks resolved as far as the path exists (git may store either form). */
export async function canonicalPath(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(await canonicalPath(parent), path.basename(abs));
  }
}
