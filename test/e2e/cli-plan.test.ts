import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'identity-sync.sprint.yaml');

describe('sprintwave plan', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-plan-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the waves of the example’s Execution Order, the critical path and totals', async () => {
    const result = await runCli(['plan', EXAMPLE]);
    expect(result.code).toBe(0);
    const waves = result.stdout.split('\n').filter((line) => line.startsWith('Wave'));
    expect(waves.map((line) => line.replace(/\s+/g, ' '))).toEqual([
      'Wave 1 WP01',
      'Wave 2 WP02 + WP03',
      'Wave 3 WP04',
      'Wave 4 WP05',
      'Wave 5 WP06',
    ]);
    expect(result.stdout).toContain('WP01 → WP02 → WP04 → WP05 → WP06');
    expect(result.stdout).toMatch(/6 packages/);
  });

  it('prints one JSON object with --json', async () => {
    const result = await runCli(['plan', EXAMPLE, '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toMatchObject({
      id: 'identity-sync',
      waves: [['WP01'], ['WP02', 'WP03'], ['WP04'], ['WP05'], ['WP06']],
      criticalPath: ['WP01', 'WP02', 'WP04', 'WP05', 'WP06'],
      packages: 6,
      points: 18,
    });
  });

  const invalid: [string, string, RegExp[]][] = [
    [
      'a cycle and an unknown dependency at once',
      'id: s\nrepo: .\npackages:\n  - {id: WP01, title: a, run: "true", dependsOn: [WP02]}\n  - {id: WP02, title: b, run: "true", dependsOn: [WP01, WP09]}\n',
      [/WP01 → WP02 → WP01|WP02 → WP01 → WP02/, /packages\[1\]\.dependsOn\[1\]: .*WP09/],
    ],
    [
      'a duplicate id',
      'id: s\nrepo: .\npackages:\n  - {id: A, title: a, run: "true"}\n  - {id: A, title: b, run: "true"}\n',
      [/packages\[1\]\.id/],
    ],
    [
      'a self-dependency',
      'id: s\nrepo: .\npackages:\n  - {id: A, title: a, run: "true", dependsOn: [A]}\n',
      [/packages\[0\]\.dependsOn\[0\]/],
    ],
    [
      'an unsafe id',
      'id: s\nrepo: .\npackages:\n  - {id: "../evil", title: a, run: "true"}\n',
      [/packages\[0\]\.id/],
    ],
    [
      'an id with a space',
      'id: "my sprint"\nrepo: .\npackages:\n  - {id: A, title: a, run: "true"}\n',
      [/^ *id: .*white space/m],
    ],
    ['an empty sprint', 'id: s\nrepo: .\npackages: []\n', [/packages: /]],
    [
      'concurrency below 1',
      'id: s\nrepo: .\nconcurrency: 0\npackages:\n  - {id: A, title: a, run: "true"}\n',
      [/concurrency: must be at least 1/],
    ],
    [
      'a malformed duration',
      'id: s\nrepo: .\npackages:\n  - {id: A, title: a, run: "true", timeout: 5 minutes}\n',
      [/packages\[0\]\.timeout: is not a duration/],
    ],
    [
      'a bad github repo',
      'id: s\nrepo: .\ngithub: {repo: nope}\npackages:\n  - {id: A, title: a, run: "true"}\n',
      [/github\.repo: must be of the form owner\/name/],
    ],
    [
      'an unknown key',
      'id: s\nrepo: .\npackages:\n  - {id: A, title: a, run: "true", colour: red}\n',
      [/packages\[0\]\.colour: is not a known field/],
    ],
    [
      'YAML that does not parse',
      'id: s\npackages:\n  - {id: A, title: a\n',
      [/bad\.yaml:\d+:\d+: is not valid YAML/],
    ],
  ];

  it.each(invalid)(
    'exits 2 and names every problem and its path for %s',
    async (_name, text, patterns) => {
      const file = path.join(dir, 'bad.yaml');
      await writeFile(file, text);
      const result = await runCli(['plan', file]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      for (const pattern of patterns) expect(result.stderr).toMatch(pattern);
      expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?$/m);
    },
  );

  it('exits 2 for a missing file', async () => {
    const result = await runCli(['plan', path.join(dir, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nope\.yaml does not exist/);
  });

  it('exits 2 for an unknown command or a missing argument', async () => {
    expect((await runCli(['plan'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });
});
