import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import {
  READ_ONLY_WARNING,
  ensureProjectIdentity,
  machineNodeId,
  projectSlug,
  slugify,
} from '../../src/activities/identity';
import type { IdentityResult } from '../../src/activities/identity';
import { fixtureGit, makeSandbox } from '../support/git-fixtures';
import type { Sandbox } from '../support/git-fixtures';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NODE_ID = /^[0-9a-f]{12}$/;
const ROOT = path.resolve(__dirname, '../..');

let box: Sandbox;
let nodeIdFile: string;

beforeEach(async () => {
  box = await makeSandbox();
  nodeIdFile = path.join(box.dir, 'home', 'node-id');
});

afterEach(async () => {
  await box.cleanup();
});

const configFile = () => path.join(box.repo, '.sprintwave', 'config.yaml');
const ensure = (repo = box.repo) => ensureProjectIdentity(repo, { nodeIdFile });

async function storedProject(): Promise<unknown> {
  const doc = parseDocument(await readFile(configFile(), 'utf8'));
  expect(doc.errors).toEqual([]);
  return (doc.toJS() as { project?: unknown }).project;
}

describe('ensureProjectIdentity', () => {
  it('generates the identity once and persists it under `project:`', async () => {
    const first = await ensure();

    expect(first.generated).toBe(true);
    expect(first.file).toBe(configFile());
    expect(first.warning).toBeUndefined();
    expect(first.identity.project_uuid).toMatch(UUID_V4);
    expect(first.identity.project_slug).toBe('repo');
    expect(first.identity.node_id).toBe(await machineNodeId(nodeIdFile));
    expect(await storedProject()).toEqual({
      uuid: first.identity.project_uuid,
      slug: 'repo',
      node_id: first.identity.node_id,
    });

    const second = await ensure();
    expect(second).toEqual({ identity: first.identity, file: configFile(), generated: false });
    expect(await readdir(path.dirname(configFile()))).toEqual(['config.yaml']);
  });

  it('back-fills a config without `project:`, keeping its other keys and comments', async () => {
    await mkdir(path.dirname(configFile()));
    await writeFile(configFile(), '# kept: sync settings\nsync:\n  auto_start: false # why not\n');

    const result = await ensure();

    expect(result.generated).toBe(true);
    const text = await readFile(configFile(), 'utf8');
    expect(text).toContain('# kept: sync settings');
    expect(text).toContain('# why not');
    const doc = parseDocument(text);
    expect(doc.errors).toEqual([]);
    expect(doc.toJS()).toEqual({
      sync: { auto_start: false },
      project: {
        uuid: result.identity.project_uuid,
        slug: 'repo',
        node_id: result.identity.node_id,
      },
    });
  });

  it('back-fills only the missing keys of `project:`', async () => {
    await mkdir(path.dirname(configFile()));
    const uuid = '5f0c6c1e-3b0a-4c1e-9d7e-2a4b6c8d0e1f';
    await writeFile(configFile(), `project:\n  uuid: ${uuid} # from an older version\n`);

    const result = await ensure();

    expect(result.identity).toEqual({
      project_uuid: uuid,
      project_slug: 'repo',
      node_id: await machineNodeId(nodeIdFile),
    });
    expect(await readFile(configFile(), 'utf8')).toContain('# from an older version');
    expect(await storedProject()).toEqual({ uuid, slug: 'repo', node_id: result.identity.node_id });
  });

  it('agrees on one identity when called 8 times at once on a fresh repository', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => ensure()));

    const identities = new Set(results.map((r) => JSON.stringify(r.identity)));
    expect(identities.size).toBe(1);
    expect(results.filter((r) => r.generated)).toHaveLength(1);
    expect(await storedProject()).toEqual({
      uuid: results[0]?.identity.project_uuid,
      slug: 'repo',
      node_id: results[0]?.identity.node_id,
    });
    expect(await readdir(path.dirname(configFile()))).toEqual(['config.yaml']);
  });

  it('agrees on one identity when 8 back-fills run at once', async () => {
    await mkdir(path.dirname(configFile()));
    await writeFile(configFile(), 'sync:\n  auto_start: false\n');

    const results = await Promise.all(Array.from({ length: 8 }, () => ensure()));

    expect(new Set(results.map((r) => JSON.stringify(r.identity))).size).toBe(1);
    const doc = parseDocument(await readFile(configFile(), 'utf8'));
    expect(doc.toJS()).toEqual({
      sync: { auto_start: false },
      project: {
        uuid: results[0]?.identity.project_uuid,
        slug: 'repo',
        node_id: results[0]?.identity.node_id,
      },
    });
    expect(await readdir(path.dirname(configFile()))).toEqual(['config.yaml']);
  });

  it('agrees on one identity across processes started at the same moment', async () => {
    const results = await raceProcesses(4, box.repo, nodeIdFile);

    expect(new Set(results.map((r) => JSON.stringify(r.identity))).size).toBe(1);
    expect(results.filter((r) => r.generated)).toHaveLength(1);
    expect(results[0]?.identity.project_uuid).toMatch(UUID_V4);
    expect(await storedProject()).toEqual({
      uuid: results[0]?.identity.project_uuid,
      slug: 'repo',
      node_id: results[0]?.identity.node_id,
    });
    expect(await ensure()).toMatchObject({ identity: results[0]?.identity, generated: false });
  });

  it('falls back to an in-memory identity with a warning on a read-only checkout', async () => {
    // Root ignores file modes: a regular file named `.sprintwave` makes the directory impossible.
    const blocker = path.join(box.repo, '.sprintwave');
    await writeFile(blocker, 'not a directory\n');

    const result = await ensure();

    expect(result.file).toBeUndefined();
    expect(result.warning).toBe(READ_ONLY_WARNING);
    expect(result.identity.project_uuid).toMatch(UUID_V4);
    expect(result.identity.project_slug).toBe('repo');
    expect(result.identity.node_id).toMatch(NODE_ID);
    expect(await readFile(blocker, 'utf8')).toBe('not a directory\n');
    expect((await ensure()).identity).toEqual(result.identity); // one identity for this run
  });

  it('leaves a config that is not valid YAML untouched and says where it is broken', async () => {
    await mkdir(path.dirname(configFile()));
    const broken = 'sync:\n  auto_start: false\nproject: [unclosed\n';
    await writeFile(configFile(), broken);

    const result = await ensure();

    expect(result.file).toBeUndefined();
    expect(result.identity.project_uuid).toMatch(UUID_V4);
    expect(result.warning).toContain(configFile());
    expect(result.warning).toMatch(/invalid YAML at \d+:\d+/);
    expect(await readFile(configFile(), 'utf8')).toBe(broken);
  });

  it('keeps .sprintwave/ out of git: one line in info/exclude, a clean status', async () => {
    const exclude = path.join(box.repo, '.git', 'info', 'exclude');
    await rm(exclude, { force: true });

    await ensure();
    await Promise.all([ensure(), ensure(), ensure()]);

    const lines = (await readFile(exclude, 'utf8')).split('\n');
    expect(lines.filter((line) => line === '.sprintwave/')).toHaveLength(1);
    expect(await box.git.raw(['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });

  it('keeps .sprintwave/ out of a linked worktree too', async () => {
    const worktree = path.join(box.dir, 'wt');
    await box.git.raw(['worktree', 'add', '-b', 'side', worktree]);

    const result = await ensure(worktree);

    expect(result.file).toBe(path.join(worktree, '.sprintwave', 'config.yaml'));
    expect(await fixtureGit(worktree).raw(['status', '--porcelain', '--untracked-files=all'])).toBe(
      '',
    );
    const exclude = await readFile(path.join(box.repo, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((line) => line === '.sprintwave/')).toHaveLength(1);
  });

  it('uses an in-memory node id with a warning when the node id cannot be stored', async () => {
    const home = path.join(box.dir, 'home-file');
    await writeFile(home, 'a file where a directory should be\n');

    const result = await ensureProjectIdentity(box.repo, {
      nodeIdFile: path.join(home, 'node-id'),
    });

    expect(result.file).toBe(configFile());
    expect(result.identity.node_id).toMatch(NODE_ID);
    expect(result.warning).toMatch(/in-memory node id/);
    expect(await storedProject()).toMatchObject({ node_id: result.identity.node_id });
  });
});

describe('projectSlug', () => {
  it.each([
    ['https://github.com/acme/Widget-API.git', 'widget-api'],
    ['git@github.com:acme/widget-api.git', 'widget-api'],
    ['ssh://git@git.example.com:2222/acme/Widget_API.git/', 'widget-api'],
    ['/srv/git/My Repo.git', 'my-repo'],
    ['git@github.com:widget.git', 'widget'],
  ])('takes the name from the origin %s', async (url, slug) => {
    await box.git.raw(['remote', 'add', 'origin', url]);
    expect(await projectSlug(box.repo)).toBe(slug);
  });

  it('uses the directory name without an origin', async () => {
    const repo = path.join(box.dir, 'My Fancy_Project');
    await box.git.raw(['clone', '--quiet', box.repo, repo]);
    await fixtureGit(repo).raw(['remote', 'remove', 'origin']);
    expect(await projectSlug(repo)).toBe('my-fancy-project');
    expect((await ensure(repo)).identity.project_slug).toBe('my-fancy-project');
  });
});

describe('slugify', () => {
  it.each([
    ['Widget API', 'widget-api'],
    ['  --Ünïcödé__Stuff!!--  ', 'unicode-stuff'],
    ['a---b', 'a-b'],
    ['', 'project'],
    ['!!!', 'project'],
  ])('%j → %j', (text, slug) => {
    expect(slugify(text)).toBe(slug);
  });

  it('keeps at most 64 characters and never ends with a dash', () => {
    const slug = slugify(`${'a'.repeat(63)} tail`);
    expect(slug).toBe('a'.repeat(63));
    expect(slugify('x'.repeat(100))).toHaveLength(64);
  });
});

describe('machineNodeId', () => {
  it('is generated once and stable across calls', async () => {
    const first = await machineNodeId(nodeIdFile);

    expect(first).toMatch(NODE_ID);
    expect(await machineNodeId(nodeIdFile)).toBe(first);
    expect((await readFile(nodeIdFile, 'utf8')).trim()).toBe(first);
  });

  it('lets the first writer win when called at once', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => machineNodeId(nodeIdFile)));

    expect(new Set(ids).size).toBe(1);
    expect((await readFile(nodeIdFile, 'utf8')).trim()).toBe(ids[0]);
    expect(await readdir(path.dirname(nodeIdFile))).toEqual(['node-id']);
  });
});

/** Starts `count` processes, waits until each has loaded the module, then lets them all go. */
async function raceProcesses(
  count: number,
  repo: string,
  idFile: string,
): Promise<IdentityResult[]> {
  const script = `
    const { ensureProjectIdentity } = require(${JSON.stringify(path.join(ROOT, 'src/activities/identity.ts'))});
    process.stdin.once('data', () => {
      ensureProjectIdentity(process.env.REPO, { nodeIdFile: process.env.NODE_ID_FILE }).then(
        (result) => process.stdout.write(JSON.stringify(result), () => process.exit(0)),
        (err) => { console.error(err); process.exit(1); });
    });
    process.stdout.write('ready\\n');
  `;
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: ROOT,
      env: {
        ...process.env,
        REPO: repo,
        NODE_ID_FILE: idFile,
        TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map((child) => collect(child));
  await Promise.all(outputs.map((output) => output.ready));
  for (const child of children) child.stdin.end('go\n');
  const texts = await Promise.all(outputs.map((output) => output.done));
  return texts.map((text) => JSON.parse(text.replace(/^ready\n/, '')) as IdentityResult);
}

function collect(child: ReturnType<typeof spawn>): { ready: Promise<void>; done: Promise<string> } {
  let text = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    text += chunk;
    if (text.startsWith('ready\n')) markReady();
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`child exited ${code}: ${text}`)),
    );
  });
  void done.catch(() => markReady()); // a child that dies early must not hang the race
  return { ready, done };
}
