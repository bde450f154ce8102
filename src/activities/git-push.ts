/**
 * Pushes finished branches to a remote: idempotent (a branch already at its commit is left
 * alone) and never forced (a remote that moved is reported, with what to do).
 */
import { ApplicationFailure } from '@temporalio/common';
import { simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import type { BranchAtCommit } from '../domain/delivery';
import type { PushedBranch } from '../domain/progress';
import { GitExitError, errorText, openRepository, permanent } from './git-exec';
import { checkBranchName, isAncestor, resolveCommits } from './git-ops';

export interface PushBranchesInput {
  /** The local repository holding the commits. */
  repo: string;
  /** A remote of that repository, e.g. `origin`. */
  remote: string;
  branches: BranchAtCommit[];
}

export interface PushBranchesResult {
  remote: string;
  pushed: PushedBranch[];
}

/** How the worker's environment reaches a push to a remote: its own credentials helpers. */
const CREDENTIAL_ENV = ['GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_ASKPASS', 'SSH_ASKPASS'];
/** Other settings that redirect git or run programs: simple-git refuses them, and a push needs none. */
const DROPPED_ENV = /^(GIT_.*|EDITOR|VISUAL|PAGER|PREFIX)$/i;

/** A remote that sends nothing for this long is given up on (the activity is retried). */
const REMOTE_SILENCE_MS = 5 * 60_000;

/**
 * Puts each branch on the remote at its commit. The remote's refs are read first: a branch
 * already there is not pushed again, one behind is fast-forwarded, one that moved elsewhere
 * stops the push before anything is sent.
 */
export async function pushBranches(input: PushBranchesInput): Promise<PushBranchesResult> {
  await checkInput(input);
  const repo = await openRepository(input.repo);
  const git = remoteGit(repo.dir);
  await requireRemote(git, input.remote);
  const before = await remoteTips(git, input.remote, input.branches);
  const toPush: BranchAtCommit[] = [];
  for (const wanted of input.branches) {
    const tip = before.get(wanted.branch);
    if (tip === wanted.commit) continue;
    if (tip && !(await isFastForward(repo.dir, tip, wanted.commit))) {
      throw remoteMoved(input.remote, wanted, tip);
    }
    toPush.push(wanted);
  }
  if (toPush.length > 0) await push(git, input.remote, toPush);
  return {
    remote: input.remote,
    pushed: input.branches.map((b) => ({ ...b, unchanged: !toPush.includes(b) })),
  };
}

async function checkInput(input: PushBranchesInput): Promise<void> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(input.remote)) {
    throw permanent('UnsafeId', `remote '${input.remote}' is not a valid remote name`);
  }
  for (const { branch, commit } of input.branches) {
    await checkBranchName(input.repo, branch, 'branch to push');
    if (!/^[0-9a-f]{40,64}$/.test(commit)) {
      throw permanent('UnsafeId', `commit '${commit}' of ${branch} is not a full commit id`);
    }
  }
}

function remoteGit(dir: string): SimpleGit {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    const passed = CREDENTIAL_ENV.includes(name.toUpperCase()) || !DROPPED_ENV.test(name);
    if (value !== undefined && passed) env[name] = value;
  }
  // No terminal to ask for a password on: fail at once instead of hanging.
  Object.assign(env, { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' });
  return simpleGit({
    baseDir: dir,
    allowEnvironment: [...CREDENTIAL_ENV, 'GIT_TERMINAL_PROMPT'],
    // The worker's own ssh command and askpass helper are its configuration, not input.
    unsafe: { allowUnsafeSshCommand: true, allowUnsafeAskPass: true },
    timeout: { block: REMOTE_SILENCE_MS },
    errors: (error, result) => {
      if (result.exitCode === 0) return error;
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8').trim();
      const detail = [text(result.stdErr), text(result.stdOut)].filter(Boolean).join('\n');
      return new GitExitError(result.exitCode, detail || `git exited with ${result.exitCode}`);
    },
  }).env(env);
}

async function requireRemote(git: SimpleGit, remote: string): Promise<void> {
  try {
    await git.raw(['remote', 'get-url', remote]); // prints the URL, which may hold a token: unused
  } catch (err) {
    if (!(err instanceof GitExitError)) throw err;
    throw permanent(
      'NoSuchRemote',
      `the repository has no remote '${remote}': add it (git remote add ${remote} <url>) ` +
        `or name another one in integration.remote`,
    );
  }
}

/** Where each branch is on the remote now; absent when the remote has no such branch. */
async function remoteTips(
  git: SimpleGit,
  remote: string,
  branches: BranchAtCommit[],
): Promise<Map<string, string>> {
  const refs = branches.map(({ branch }) => `refs/heads/${branch}`);
  const out = await remoteCall(remote, 'reading', () =>
    git.raw(['ls-remote', '--refs', remote, ...refs]),
  );
  const tips = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [commit, ref] = line.trim().split(/\s+/);
    // A pattern also matches refs ending in it (`x/refs/heads/a`): keep exact names only.
    if (commit && ref && refs.includes(ref)) tips.set(ref.slice('refs/heads/'.length), commit);
  }
  return tips;
}

/** True when `commit` contains the remote's `tip`: pushing it loses nothing. */
async function isFastForward(dir: string, tip: string, commit: string): Promise<boolean> {
  const [known] = await resolveCommits(dir, [tip]);
  return known !== undefined && (await isAncestor(dir, tip, commit));
}

async function push(git: SimpleGit, remote: string, branches: BranchAtCommit[]): Promise<void> {
  // Never `--force` and never a `+` refspec: the remote's work is never overwritten.
  const refspecs = branches.map(({ branch, commit }) => `${commit}:refs/heads/${branch}`);
  try {
    await remoteCall(remote, 'pushing to', () => git.raw(['push', remote, ...refspecs]));
  } catch (err) {
    if (!(err instanceof GitExitError)) throw err; // remoteCall let only a rejection through
    // It moved between the read and the push: say where it is now.
    const now = await remoteTips(git, remote, branches);
    const moved = branches.find(({ branch, commit }) => now.get(branch) !== commit);
    if (moved) throw remoteMoved(remote, moved, now.get(moved.branch));
    throw permanent(
      'PushRejected',
      `${remote} rejected the push: ${withoutCredentials(errorText(err))}`,
    );
  }
}

function remoteMoved(remote: string, wanted: BranchAtCommit, tip: string | undefined): Error {
  const now = tip ? `now ${tip.slice(0, 7)}` : 'deleted during the push';
  return permanent(
    'RemoteMoved',
    `${remote}'s ${wanted.branch} moved (${now}) and does not contain ${wanted.commit.slice(0, 7)}: ` +
      `fetch it and merge it into ${wanted.branch}, or delete the remote branch, then retry. ` +
      `sprintwave never force-pushes.`,
  );
}

const UNAUTHORIZED =
  /Authentication failed|Permission denied|could not read (Username|Password)|terminal prompts disabled|\b403\b/i;
const NOT_A_REMOTE = /does not appear to be a git repository|Repository not found/i;

/** Runs one remote command; failures that a retry cannot fix are non-retryable. */
async function remoteCall<T>(remote: string, action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof GitExitError)) throw err;
    const said = withoutCredentials(errorText(err));
    if (/\[rejected\]/.test(said)) throw err; // the caller explains it
    if (/\[remote rejected\]/.test(said)) {
      throw permanent('PushRefused', `${remote} refused the push: ${said}`);
    }
    if (UNAUTHORIZED.test(said)) {
      throw permanent('RemoteUnauthorized', `${remote} refused access while ${action} it: ${said}`);
    }
    if (NOT_A_REMOTE.test(said)) {
      throw permanent('NoSuchRemote', `${remote} cannot be reached as a repository: ${said}`);
    }
    throw ApplicationFailure.retryable(`${action} ${remote} failed: ${said}`, 'RemoteUnavailable');
  }
}

/** A remote URL may carry a user and token (`https://x:ghp_…@host/…`): never into a message. */
function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1[REDACTED]@');
}
