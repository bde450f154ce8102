import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

/** `sprintwave plan` in this process, its output caught. */
async function plan(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (text) => void (out += `${text}\n`),
    err: (text) => void (err += `${text}\n`),
    isTTY: false,
  };
  const code = await runCli(['node', 'sprintwave', 'plan', ...args], io);
  return { code, out, err };
}

describe('sprintwave plan: bad input gets a clear, bounded error', () => {
  let dir: string;
  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-plan-command-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('warns about an agent that is not here, and still plans (agents run on the workers)', async () => {
    const file = await write(
      'agent.yaml',
      'id: s\nrepo: .\npackages:\n  - {id: WP01, title: One, agent: claude}\n',
    );
    const saved = process.env.SPRINTWAVE_AGENT_CLAUDE;
    process.env.SPRINTWAVE_AGENT_CLAUDE = path.join(dir, 'no-such-claude');
    try {
      const text = await plan(file);
      expect(text.code).toBe(0);
      expect(text.out).toMatch(/Wave 1\s+WP01/);
      expect(text.err).toBe(
        `warning: packages[0].agent: claude: SPRINTWAVE_AGENT_CLAUDE=${path.join(dir, 'no-such-claude')} is not an executable file; \`run\` and \`start\` refuse the sprint here, and a worker without it fails the package\n`,
      );
      const json = await plan(file, '--json');
      expect(json.code).toBe(0);
      expect(JSON.parse(json.out)).toMatchObject({ id: 's', packages: 1 });
      expect(json.err).toMatch(/^warning: packages\[0\]\.agent: /);
    } finally {
      if (saved === undefined) delete process.env.SPRINTWAVE_AGENT_CLAUDE;
      else process.env.SPRINTWAVE_AGENT_CLAUDE = saved;
    }
  });

  it('says that the file name is empty', async () => {
    expect(await plan('')).toEqual({
      code: 2,
      out: '',
      err: 'error: the file name is empty: give the path of a file\n',
    });
  });

  it('repeats 80 characters of a 5 MB id, not the whole of it', async () => {
    const file = await write(
      'huge-id.yaml',
      `id: s\nrepo: .\npackages:\n  - {id: ${'x'.repeat(5_000_000)}, title: a, run: "true"}\n`,
    );
    const result = await plan(file);
    expect(result.code).toBe(2);
    expect(result.err.length).toBeLessThan(file.length + 300);
    expect(result.err).toContain(
      `packages[0].id: ${'x'.repeat(80)}… (5000000 characters) is not usable as a branch or folder name`,
    );
  });

  it('says that YAML nested 1,000 levels deep is nested too deeply, with the limit', async () => {
    const file = await write(
      'deep.yaml',
      `id: s\nrepo: .\npackages: ${'['.repeat(1_000)}${']'.repeat(1_000)}\n`,
    );
    const result = await plan(file);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /deep\.yaml:\d+:\d+: is nested too deeply: lists and maps may nest at most 100 levels deep/,
    );
    expect(result.err).not.toMatch(/call stack/);
  });

  it('names a timeout past what Node can time, a branch git would refuse, ids alike but for case', async () => {
    const timeout = await write(
      'timeout.yaml',
      'id: s\nrepo: .\npackages:\n  - {id: WP01, title: a, run: "true", timeout: 25d}\n',
    );
    expect((await plan(timeout)).err).toContain('packages[0].timeout: must be at most 24d');
    const names = await write(
      'names.yaml',
      'id: s\nrepo: .\nintegration: {branch: "bad name..x"}\npackages:\n  - {id: WP01, title: a, run: "true"}\n  - {id: wp01, title: b, run: "true"}\n',
    );
    const result = await plan(names);
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      'integration.branch: bad name..x is not a valid git branch name: contains a space',
    );
    expect(result.err).toContain(
      'packages[1].id: wp01 differs from WP01 (packages[0]) only in case',
    );
  });
});
