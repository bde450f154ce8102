/**
 * What sprintwave remembers about a branch it created: the sprint run that owns it and the commit
 * its work is measured against, in `<git-common-dir>/sprintwave/branches/<branch>.json`.
 * Plain files written atomically (temp + rename) rather than `.git/config`: parallel packages do
 * not fight over one lock file, and reading or writing a record needs no git process.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../runtime/atomic-file';
import { GitExitError, runGit } from './git-exec';
import type { Repo } from './git-exec';

export interface BranchRecord {
  owner: string;
  /** HEAD after the base and dependency merges, once they are done. */
  baseCommit?: string;
}

/** Branch names are checked (no `..`, no leading dot, no backslash), so this stays inside. */
export function branchRecordPath(commonDir: string, branch: string): string {
  return path.join(commonDir, 'sprintwave', 'branches', `${branch}.json`);
}

export async function readBranchRecord(
  repo: Repo,
  branch: string,
): Promise<BranchRecord | undefined> {
  let text: string;
  try {
    text = await readFile(branchRecordPath(repo.commonDir, branch), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return legacyRecord(repo, branch);
    throw err;
  }
  return parseRecord(text);
}

export async function writeBranchRecord(
  repo: Repo,
  branch: string,
  record: BranchRecord,
): Promise<void> {
  await writeFileAtomically(
    branchRecordPath(repo.commonDir, branch),
    `${JSON.stringify(record)}\n`,
  );
}

/** A garbled record counts as none: the branch is then refused, never taken over. */
function parseRecord(text: string): BranchRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { owner, baseCommit } = value as Record<string, unknown>;
  if (typeof owner !== 'string') return undefined;
  return typeof baseCommit === 'string' ? { owner, baseCommit } : { owner };
}

/** Earlier versions kept records in `.git/config`: sprints started then still resume. */
async function legacyRecord(repo: Repo, branch: string): Promise<BranchRecord | undefined> {
  const prefix = `branch.${branch}.sprintwave`;
  const pattern = `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(owner|base)$`;
  let out: string;
  try {
    out = await runGit(repo.dir, ['config', '-z', '--get-regexp', pattern]);
  } catch (err) {
    if (err instanceof GitExitError && err.exitCode === 1) return undefined; // none set
    throw err;
  }
  const values = new Map(
    out
      .split('\0')
      .filter(Boolean)
      .map((entry) => {
        const newline = entry.indexOf('\n');
        return [entry.slice(prefix.length, newline), entry.slice(newline + 1)] as const;
      }),
  );
  const owner = values.get('owner');
  const baseCommit = values.get('base');
  if (!owner) return undefined;
  return baseCommit ? { owner, baseCommit } : { owner };
}
