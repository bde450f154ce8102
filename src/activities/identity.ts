/** The project's identity (uuid, slug, node id), generated once and kept in `<repo>/.sprintwave/config.yaml`. */
import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Document, isMap, isScalar, parseDocument } from 'yaml';
import type { ProjectIdentity } from '../domain/events';
import { withFileLock } from '../runtime/file-lock';
import { GitExitError, errorText, runGit } from './git-exec';

export interface IdentityResult {
  identity: ProjectIdentity;
  /** where it is kept; undefined for an in-memory identity */
  file?: string;
  /** True when this call made (part of) the identity: persisted by it, or in memory only. */
  generated: boolean;
  warning?: string;
}

export interface IdentityOptions {
  /** Where the machine's node id lives; default `<SPRINTWAVE_HOME or ~/.sprintwave>/node-id`. */
  nodeIdFile?: string;
}

export const READ_ONLY_WARNING =
  'the repository is read-only: using an in-memory project identity for this run (events will not be attributable across runs)';

const CONFIG_DIR = '.sprintwave';
const CONFIG_FILE = 'config.yaml';
/** Snake-case keys under `project:` in config.yaml. */
const KEYS = { project_uuid: 'uuid', project_slug: 'slug', node_id: 'node_id' } as const;
const FIELDS = Object.keys(KEYS) as (keyof ProjectIdentity)[];
const READ_ONLY_CODES = new Set(['EACCES', 'EROFS', 'EPERM', 'ENOTDIR']);
/** link(2) fails so on file systems without hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);
const MAX_ATTEMPTS = 5;
/** A back-fill holds the lock for milliseconds: waiting longer means something is wrong. */
const LOCK_TIMEOUT_MS = 30_000;
const MAX_SLUG = 64;

export function defaultNodeIdFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(
    path.resolve(env.SPRINTWAVE_HOME ?? path.join(os.homedir(), '.sprintwave')),
    'node-id',
  );
}

/**
 * The identity stored for `repo`, generated and persisted on first use, missing keys back-filled.
 * Concurrent callers (threads or processes) all end up with the persisted value.
 */
export async function ensureProjectIdentity(
  repo: string,
  options: IdentityOptions = {},
): Promise<IdentityResult> {
  const nodeIdFile = options.nodeIdFile ?? defaultNodeIdFile();
  const file = path.join(repo, CONFIG_DIR, CONFIG_FILE);
  await excludeFromGit(repo);
  let generated = false;
  let warning: string | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const stored = await readConfig(file);
    if (stored.kind === 'unusable') return inMemoryResult(repo, nodeIdFile, stored.warning);
    const found = stored.kind === 'found' ? stored.identity : {};
    if (isComplete(found)) return { identity: found, file, generated, ...(warning && { warning }) };
    const made = await generateMissing(repo, nodeIdFile, found);
    try {
      const wrote =
        stored.kind === 'missing'
          ? await createConfig(file, made.identity)
          : await backfillConfig(file, made.identity);
      generated ||= wrote;
      if (wrote) warning = made.warning;
    } catch (err) {
      if (!isReadOnly(err)) throw err;
      return inMemoryResult(repo, nodeIdFile, READ_ONLY_WARNING);
    }
  }
  throw new Error(`${file} keeps changing: cannot settle the project identity`);
}

/** Lower case, `[a-z0-9-]`, no leading/trailing/double dashes, at most 64 characters; never empty. */
export function slugify(text: string): string {
  return slugPart(text) || 'project';
}

function slugPart(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG)
    .replace(/-+$/, '');
}

/** The repository's name from its `origin` remote URL, else its directory name, slugified. */
export async function projectSlug(repo: string): Promise<string> {
  const url = await originUrl(repo);
  return (
    (url && slugPart(repositoryName(url))) ||
    slugPart(path.basename(path.resolve(repo))) ||
    'project'
  );
}

/** https://host/acme/Widget.git, git@host:acme/widget.git, ssh://…, /srv/widget.git → its last part. */
function repositoryName(url: string): string {
  const trimmed = url
    .trim()
    .replace(/[/\\]+$/, '')
    .replace(/\.git$/i, '');
  return trimmed.split(/[/\\:]/).pop() ?? '';
}

async function originUrl(repo: string): Promise<string | undefined> {
  try {
    return (await runGit(repo, ['config', '--get', 'remote.origin.url'])).trim() || undefined;
  } catch (err) {
    if (err instanceof GitExitError) return undefined; // no origin, or not a git repository
    throw err;
  }
}

/** This machine's node id: 12 hex characters, generated once into `file`; the first writer wins. */
export async function machineNodeId(file: string): Promise<string> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const found = await readNodeId(file);
    if (found.kind === 'ok') return found.id;
    const text = `${randomBytes(6).toString('hex')}\n`;
    await mkdir(path.dirname(file), { recursive: true });
    // Either way, read it back: what is on disk is the node id.
    if (found.kind === 'missing') await createExclusive(file, text);
    else await replaceAtomically(file, text);
  }
  throw new Error(`${file} keeps changing: cannot settle the node id`);
}

async function readNodeId(
  file: string,
): Promise<{ kind: 'ok'; id: string } | { kind: 'missing' } | { kind: 'invalid' }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  const id = text.trim();
  return /^[0-9a-f]{12}$/.test(id) ? { kind: 'ok', id } : { kind: 'invalid' };
}

interface Generated {
  identity: ProjectIdentity;
  warning?: string;
}

/** The stored values, with what is missing generated. */
async function generateMissing(
  repo: string,
  nodeIdFile: string,
  have: Partial<ProjectIdentity>,
): Promise<Generated> {
  const node = have.node_id ? { id: have.node_id } : await nodeIdOrEphemeral(nodeIdFile);
  const identity = {
    project_uuid: have.project_uuid ?? randomUUID(),
    project_slug: have.project_slug ?? (await projectSlug(repo)),
    node_id: node.id,
  };
  return { identity, ...(node.warning && { warning: node.warning }) };
}

let ephemeralNodeId: string | undefined;

async function nodeIdOrEphemeral(file: string): Promise<{ id: string; warning?: string }> {
  try {
    return { id: await machineNodeId(file) };
  } catch (err) {
    if (!isReadOnly(err)) throw err;
    ephemeralNodeId ??= randomBytes(6).toString('hex');
    const warning = `cannot keep the node id in ${file} (${codeOf(err)}): using an in-memory node id for this run`;
    return { id: ephemeralNodeId, warning };
  }
}

const inMemoryIdentities = new Map<string, Promise<Generated>>();

/** One in-memory identity per repository per process: this run's events agree with each other. */
async function inMemoryResult(
  repo: string,
  nodeIdFile: string,
  reason: string,
): Promise<IdentityResult> {
  const key = path.resolve(repo);
  let made = inMemoryIdentities.get(key);
  if (!made) {
    made = generateMissing(repo, nodeIdFile, {});
    inMemoryIdentities.set(key, made);
    void made.catch(() => inMemoryIdentities.delete(key));
  }
  const { identity, warning } = await made;
  return { identity, generated: true, warning: [reason, warning].filter(Boolean).join('; ') };
}

type StoredConfig =
  | { kind: 'missing' }
  | { kind: 'unusable'; warning: string }
  | { kind: 'found'; doc: Document; identity: Partial<ProjectIdentity> };

async function readConfig(file: string): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return {
      kind: 'unusable',
      warning: `cannot read ${file} (${code ?? errorText(err)}): ${IN_MEMORY}`,
    };
  }
  const doc = parseDocument(text);
  const problem = configProblem(doc);
  if (problem)
    return { kind: 'unusable', warning: `${file}: ${problem}; left as it is, ${IN_MEMORY}` };
  return { kind: 'found', doc, identity: storedIdentity(doc) };
}

const IN_MEMORY = 'using an in-memory project identity for this run';

function configProblem(doc: Document): string | undefined {
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    const where = at ? `${at.line}:${at.col}` : `offset ${error.pos[0]}`;
    const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    return `invalid YAML at ${where}: ${message}`;
  }
  if (!isMap(doc.contents) && !isEmpty(doc.contents)) return 'the top level is not a mapping';
  const project = doc.get('project', true);
  if (!isMap(project) && !isEmpty(project)) return '`project` is not a mapping';
  return undefined;
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function storedIdentity(doc: Document): Partial<ProjectIdentity> {
  const identity: Partial<ProjectIdentity> = {};
  for (const field of FIELDS) {
    const value = doc.getIn(['project', KEYS[field]]);
    if (typeof value === 'string' && value.trim()) identity[field] = value;
  }
  return identity;
}

function isComplete(identity: Partial<ProjectIdentity>): identity is ProjectIdentity {
  return FIELDS.every((field) => identity[field] !== undefined);
}

/** Creates the config when nobody has yet; false when another process got there first. */
async function createConfig(file: string, identity: ProjectIdentity): Promise<boolean> {
  try {
    await mkdir(path.dirname(file)); // not recursive: a missing repository is an error, not a config
  } catch (err) {
    if (codeOf(err) !== 'EEXIST') throw err; // a regular file in the way fails below with ENOTDIR
  }
  const project = Object.fromEntries(FIELDS.map((field) => [KEYS[field], identity[field]]));
  const doc = new Document({ project });
  doc.commentBefore =
    " sprintwave: this project's identity, generated once; every event is tagged with it";
  return createExclusive(file, doc.toString());
}

/** Adds the missing keys to an existing config, keeping everything else (comments too). */
async function backfillConfig(file: string, identity: ProjectIdentity): Promise<boolean> {
  // Back-fills take turns on the config's folder (the file itself is replaced, so its inode
  // would not do); the kernel frees the lock of a process that dies, so none goes stale.
  return withFileLock(
    path.dirname(file),
    async () => {
      const stored = await readConfig(file); // again, under the lock: someone may have filled it
      if (stored.kind !== 'found') return false; // changed meanwhile: the caller reads it again
      const missing = FIELDS.filter((field) => stored.identity[field] === undefined);
      if (missing.length === 0) return false;
      const { doc } = stored;
      if (!isMap(doc.contents)) doc.contents = doc.createNode({});
      if (!isMap(doc.get('project', true))) doc.set('project', doc.createNode({}));
      for (const field of missing) doc.setIn(['project', KEYS[field]], identity[field]);
      await replaceAtomically(file, doc.toString());
      return true;
    },
    LOCK_TIMEOUT_MS,
  );
}

/** Publishes a complete file at `file` only if none is there; false when another writer won. */
async function createExclusive(file: string, text: string): Promise<boolean> {
  return withTempFile(file, text, async (tmp) => {
    try {
      await link(tmp, file);
      return true;
    } catch (err) {
      if (codeOf(err) === 'EEXIST') return false;
      if (!NO_HARD_LINKS.has(codeOf(err) ?? '')) throw err;
      await rename(tmp, file); // no hard links here: the last writer wins, callers read it back
      return true;
    }
  });
}

async function replaceAtomically(file: string, text: string): Promise<void> {
  await withTempFile(file, text, (tmp) => rename(tmp, file));
}

/** Writes `<file>.<pid>.<random>.tmp` to disk, hands it to `use`, and removes what is left of it. */
async function withTempFile<T>(
  file: string,
  text: string,
  use: (tmp: string) => Promise<T>,
): Promise<T> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return await use(tmp);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

const EXCLUDE_LINE = `${CONFIG_DIR}/`;
const EXCLUDE_FORMS = new Set([CONFIG_DIR, EXCLUDE_LINE, `/${CONFIG_DIR}`, `/${EXCLUDE_LINE}`]);
const excluding = new Map<string, Promise<void>>();

/** Keeps `.sprintwave/` out of every commit: one line in the repository's `info/exclude`. */
async function excludeFromGit(repo: string): Promise<void> {
  let out: string;
  try {
    out = await runGit(repo, ['rev-parse', '--git-path', 'info/exclude']);
  } catch (err) {
    if (err instanceof GitExitError) return; // not a git repository: no commits to keep it out of
    throw err;
  }
  const excludeFile = path.resolve(repo, out.trim()); // in the common dir for a linked worktree
  let pending = excluding.get(excludeFile);
  if (!pending) {
    pending = addExcludeLine(excludeFile).finally(() => excluding.delete(excludeFile));
    excluding.set(excludeFile, pending);
  }
  await pending;
}

async function addExcludeLine(excludeFile: string): Promise<void> {
  try {
    const text = await readFile(excludeFile, 'utf8').catch((err: unknown) => {
      if (codeOf(err) === 'ENOENT') return '';
      throw err;
    });
    if (text.split(/\r?\n/).some((line) => EXCLUDE_FORMS.has(line.trim()))) return;
    const separator = text && !text.endsWith('\n') ? '\n' : '';
    await mkdir(path.dirname(excludeFile), { recursive: true });
    // Rewritten whole, not appended: processes racing here all write the same content.
    await replaceAtomically(excludeFile, `${text}${separator}${EXCLUDE_LINE}\n`);
  } catch (err) {
    if (!isReadOnly(err)) throw err; // a read-only .git: the config cannot be written either
  }
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function isReadOnly(err: unknown): boolean {
  return READ_ONLY_CODES.has(codeOf(err) ?? '');
}
