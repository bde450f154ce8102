import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Mutex } from 'async-mutex';
import { GitError, simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import { spawnGit } from './spawner';

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

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let processesSpawned = 0;
let lockRetries = 0;

/** How many git processes this module started and lock retries it made: tests hold a budget. */
export function gitCounters(): { processes: number; lockRetries: number } {
  return { processes: processesSpawned, lockRetries };
}

/**
 * simple-git, for the rare maintenance commands (worktree list/remove/prune, check-ref-format);
 * the per-package hot path uses `runGit` below.
 */
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
    }).outputHandler(() => processesSpawned++);
  } catch (err) {
    throw permanent('NotARepository', `cannot use ${dir} as a git directory: ${String(err)}`);
  }
}

/** Set by a git hook or a parent git process, these would point git at another repository. */
const REPOSITORY_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' }; // git's messages are matched
  for (const key of REPOSITORY_ENV) delete env[key];
  return env;
}

/**
 * Every commit and merge would start a `git maintenance run --auto` of its own (three processes
 * more per package); sprintwave's commands skip it and the integration runs it once a sprint
 * (`runAutoMaintenance`).
 */
const NO_AUTO_MAINTENANCE = 'maintenance.auto=false';
const AUTO_MAINTAINED = new Set(['commit', 'merge']);

/** What commits and merges would have done after each: unless the repository turned it off. */
export async function runAutoMaintenance(dir: string): Promise<void> {
  let enabled = 'true';
  try {
    enabled = (await runGit(dir, ['config', '--type=bool', '--get', 'maintenance.auto'])).trim();
  } catch (err) {
    if (!(err instanceof GitExitError && err.exitCode === 1)) throw err; // 1: not set
  }
  if (enabled !== 'false') await runGit(dir, ['maintenance', 'run', '--auto', '--quiet']);
}

export interface RunGitOptions {
  /** `name=value` settings passed as `-c` for this command only. */
  config?: string[];
  /** Written to the command's stdin. */
  input?: string;
  /** Variables set for this command only (say, GIT_INDEX_FILE for a scratch index). */
  env?: Record<string, string>;
}

/** One git command in `dir`, its stdout; a non-zero exit throws GitExitError with git's words. */
// Not simple-git: it waits ~50 ms more for every command that prints nothing.
export async function runGit(
  dir: string,
  args: string[],
  options: RunGitOptions = {},
): Promise<string> {
  const skip = AUTO_MAINTAINED.has(args[0] ?? '') ? [NO_AUTO_MAINTENANCE] : [];
  const settings = [...skip, ...(options.config ?? [])].flatMap((setting) => ['-c', setting]);
  processesSpawned++;
  const result = await spawnGit({
    args: ['-C', dir, ...settings, ...args],
    env: { ...gitEnv(), ...options.env },
    input: options.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.exitCode === 0) return result.stdout;
  if (typeof result.exitCode !== 'number') {
    throw new Error(`cannot run git ${args[0]}: ${result.error ?? result.exitCode}`);
  }
  const detail = [result.stderr, result.stdout]
    .map((s) => s.trim())
    .filter(Boolean)
    .join('\n');
  throw new GitExitError(result.exitCode, detail || `git ${args[0]} exited ${result.exitCode}`);
}

/** A repository as sprintwave uses it: where to run git, and its shared git dir (real path). */
export interface Repo {
  dir: string;
  commonDir: string;
}

const commonDirs = new Map<string, Promise<string>>();

/** Resolves (once per directory per process) the shared git dir of a repository or worktree. */
export async function openRepository(dir: string): Promise<Repo> {
  const key = path.resolve(dir);
  let commonDir = commonDirs.get(key);
  if (!commonDir) {
    commonDir = findCommonDir(key);
    commonDirs.set(key, commonDir);
    void commonDir.catch(() => commonDirs.delete(key));
  }
  return { dir: key, commonDir: await commonDir };
}

/** Lets later activities on a worktree made by this process skip asking git where its repo is. */
export function rememberWorktree(worktree: string, repo: Repo): void {
  commonDirs.set(path.resolve(worktree), Promise.resolve(repo.commonDir));
}

async function findCommonDir(dir: string): Promise<string> {
  let out: string;
  try {
    out = await runGit(dir, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  } catch (err) {
    if (!(err instanceof GitExitError)) throw err;
    throw permanent('NotARepository', `${dir} is not a git repository`);
  }
  return realpath(out.trim());
}

const identities = new Map<string, Promise<string[]>>();

/**
 * `-c user.*` settings for what the repository's config (with the global/system config) lacks,
 * looked up once per repository and home directory: a commit never writes any config.
 */
export async function identityConfig(repo: Repo): Promise<string[]> {
  const env = process.env;
  const key = [repo.commonDir, env.HOME, env.XDG_CONFIG_HOME, env.GIT_CONFIG_GLOBAL].join('\0');
  let found = identities.get(key);
  if (!found) {
    found = missingIdentity(repo.dir);
    identities.set(key, found);
    void found.catch(() => identities.delete(key));
  }
  return found;
}

async function missingIdentity(dir: string): Promise<string[]> {
  let out = '';
  try {
    out = await runGit(dir, ['config', '-z', '--get-regexp', '^user\\.(name|email)$']);
  } catch (err) {
    if (!(err instanceof GitExitError && err.exitCode === 1)) throw err; // 1: none set
  }
  const present = new Set(
    out
      .split('\0')
      .map((record) => record.split('\n'))
      .filter(([, value]) => value?.trim())
      .map(([key]) => key),
  );
  const config: string[] = [];
  if (!present.has('user.name')) config.push(`user.name=${FALLBACK_IDENTITY.name}`);
  if (!present.has('user.email')) config.push(`user.email=${FALLBACK_IDENTITY.email}`);
  return config;
}

/** A simple-git instance that can commit: adds `-c user.*` only for what the config lacks. */
export async function openCommitter(dir: string): Promise<SimpleGit> {
  return openGit(dir, await identityConfig(await openRepository(dir)));
}

const LOCK_ERROR =
  /\.lock'?: File exists|could not lock config file|failed to read \S*worktrees\/\S*\/commondir/i;

export function isLockError(err: unknown): boolean {
  return err instanceof Error && LOCK_ERROR.test(err.message);
}

/** Parallel packages share one repository: ride out another git process holding a lock file. */
export async function withLockRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isLockError(err)) throw err;
      lockRetries++;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (1 + Math.random())));
    }
  }
}

const mutexes = new Map<string, Mutex>();

/** Runs `work` once every earlier `work` with the same key has settled: an in-process mutex. */
export async function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  let mutex = mutexes.get(key);
  if (!mutex) {
    mutex = new Mutex();
    mutexes.set(key, mutex);
  }
  try {
    return await mutex.runExclusive(work);
  } finally {
    if (!mutex.isLocked()) mutexes.delete(key);
  }
}

/**
 * Worktree admin changes (add, remove, prune) take turns within a repository: git 2.39's
 * `worktree add` fails reading a sibling's half-made `.git/worktrees/<other>/commondir`.
 */
export async function worktreeAdmin<T>(repo: Repo, work: () => Promise<T>): Promise<T> {
  return serialized(`worktrees:${repo.commonDir}`, () => withLockRetry(work));
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
