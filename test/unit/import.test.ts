import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { planSprint } from '../../src/domain/plan';
import { importMarkdown, sprintYaml } from '../../src/import';
import type { ImportResult } from '../../src/import';
import { readSize } from '../../src/import/size';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'import');
/** `UPDATE_GOLDEN=1 npx jest test/unit/import.test.ts` rewrites the expected files. */
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, `${name}.md`), 'utf8');
}

function notesText(result: ImportResult): string {
  return [
    ...result.problems.map((note) => `${note.line}: problem: ${note.message}`),
    ...result.warnings.map((note) => `${note.line}: warning: ${note.message}`),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

/** Compares with `<name><suffix>`; a missing expectation means "nothing" (no sprint). */
function expectGolden(name: string, suffix: string, actual: string | undefined): void {
  const file = path.join(FIXTURES, `${name}${suffix}`);
  if (UPDATE) {
    if (actual === undefined) rmSync(file, { force: true });
    else writeFileSync(file, actual);
  }
  const expected = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  expect(actual).toEqual(expected);
}

function spec(result: ImportResult) {
  const checked = checkSprintSpec(result.sprint);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.spec;
}

const GOLDEN = [
  'work-packages',
  'sprint-pods',
  'variations',
  'other-levels',
  'disagreeing-order',
  'unreadable',
  'pods-variation',
  'cycle',
  'no-packages',
];

describe('importMarkdown against golden files', () => {
  it.each(GOLDEN)('%s.md gives the sprint and the notes of its golden files', (name) => {
    const result = importMarkdown(fixture(name));
    expectGolden(name, '.sprint.golden', result.sprint && sprintYaml(result.sprint));
    expectGolden(name, '.notes.golden', notesText(result));
  });

  it.each(GOLDEN)('%s.md reads the same with CRLF line ends', (name) => {
    const lf = importMarkdown(fixture(name));
    const crlf = importMarkdown(fixture(name).replace(/\n/g, '\r\n'));
    expect(crlf).toEqual(lf);
  });
});

describe('the reference documents', () => {
  it('work-packages.md: six packages whose waves follow their Dependencies sections', () => {
    const result = importMarkdown(fixture('work-packages'));
    const plan = planSprint(spec(result));
    expect(plan.waves).toEqual([['WP01', 'WP03'], ['WP02'], ['WP04'], ['WP05'], ['WP06']]);
    expect(plan.criticalPath).toEqual(['WP01', 'WP02', 'WP04', 'WP05', 'WP06']);
    const wp06 = spec(result).packages.find((wp) => wp.id === 'WP06');
    expect(wp06).toMatchObject({
      title: 'Integration Tests',
      priority: 'P2',
      mvp: false,
      points: 5,
      external: true,
      dependsOn: ['WP01', 'WP02', 'WP04', 'WP05'],
      test: 'Full test suite passes with identity in all events.',
    });
    expect(wp06?.tasks?.map((task) => task.id)).toEqual([
      'T027',
      'T028',
      'T029',
      'T030',
      'T031',
      'T032',
    ]);
    expect(
      spec(result)
        .packages.filter((wp) => wp.mvp)
        .map((wp) => wp.id),
    ).toEqual(['WP01', 'WP02', 'WP04']);
  });

  it('work-packages.md: its Execution Order is checked against the packages, with lines', () => {
    const result = importMarkdown(fixture('work-packages'));
    expect(result.problems).toEqual([
      {
        line: 243,
        message: expect.stringMatching(/WP06 depends on all.*does not need WP03/),
      },
    ]);
    expect(result.warnings).toContainEqual({
      line: 240,
      message: expect.stringMatching(/WP03 in step 2.*start in step 1/),
    });
  });

  it('sprint-pods.md: three independent pods; requirements are their checklists', () => {
    const result = importMarkdown(fixture('sprint-pods'));
    expect(result.kind).toBe('sprint-pods');
    expect(result.problems).toEqual([]);
    const sprint = spec(result);
    expect(planSprint(sprint).waves).toEqual([['Pod-1', 'Pod-2', 'Pod-3']]);
    const pod2 = sprint.packages[1];
    expect(pod2).toMatchObject({ id: 'Pod-2', title: 'Credential Management', external: true });
    expect(pod2?.description).toMatch(/^Issue #25\.\nCreate secure credential storage/);
    expect(pod2?.tasks).toHaveLength(5);
    expect(pod2?.tasks?.[2]?.title).toBe(
      'Support credentials for multiple providers: Azure DevOps (PAT); GitHub (token/oauth); BitBucket (app password)',
    );
    expect(pod2?.test).toContain('- CLI integration for credential management');
  });
});

describe('variations', () => {
  it('reads bold and plain ids, headings at other levels and sections left out', () => {
    const sprint = spec(importMarkdown(fixture('variations')));
    expect(sprint.id).toBe('checkout-flow');
    expect(sprint.packages.map((wp) => [wp.id, wp.title, wp.priority, wp.dependsOn])).toEqual([
      ['WP01', 'Cart Model', 'P0', []],
      ['WP02', 'Payment Gateway', 'P1', ['WP01']],
      ['WP03', 'Receipt Email', 'P2', ['WP01', 'WP02']],
      ['WP04', 'Analytics', 'P2', []],
    ]);
    expect(sprint.packages[0]?.tasks).toEqual([
      { id: 'T001', title: 'Define the cart type', done: true },
      { id: 'T002', title: 'Add and remove items' },
      { id: 'WP01.3', title: 'Persist the cart' },
    ]);
    expect(sprint.packages[1]?.estimate).toBe('90m');
  });

  it('keeps a package’s same-level Dependencies and Subtasks headings with it', () => {
    const sprint = spec(importMarkdown(fixture('other-levels')));
    expect(sprint.packages.map((wp) => [wp.id, wp.dependsOn, wp.tasks?.length ?? 0])).toEqual([
      ['WP01', [], 2],
      ['WP02', ['WP01'], 1],
      ['WP03', ['WP02'], 0],
    ]);
  });

  it('reports an Execution Order and scope that disagree with the packages, each at its line', () => {
    const result = importMarkdown(fixture('disagreeing-order'));
    const lines = result.problems.map((note) => note.line);
    expect(lines).toEqual([3, 39, 39, 40, 41, 49]);
    expect(result.problems[1]?.message).toMatch(/WP03 in step 2, but it depends on WP02/);
    // The packages' own Dependencies decide the waves.
    expect(planSprint(spec(result)).waves).toEqual([['WP01'], ['WP02', 'WP04'], ['WP03']]);
  });

  it('reports what it cannot read, and still writes the sprint from the rest', () => {
    const result = importMarkdown(fixture('unreadable'));
    expect(result.problems.map((note) => note.line)).toEqual([5, 8, 9, 13, 14, 19, 21]);
    expect(spec(result).packages.map((wp) => wp.id)).toEqual(['WP01', 'WP02']);
  });

  it('gives no sprint for a dependency loop or a document without packages', () => {
    expect(importMarkdown(fixture('cycle'))).toMatchObject({
      problems: [{ line: 6, message: expect.stringContaining('WP01 → WP02 → WP01') }],
    });
    expect(importMarkdown(fixture('cycle')).sprint).toBeUndefined();
    expect(importMarkdown(fixture('no-packages')).sprint).toBeUndefined();
  });

  it('takes --id, --repo and --run over the defaults', () => {
    const result = importMarkdown(fixture('variations'), {
      id: 'checkout',
      repo: '../app',
      run: 'make wp',
    });
    const sprint = spec(result);
    expect(sprint).toMatchObject({ id: 'checkout', repo: '../app' });
    expect(sprint.packages.every((wp) => wp.run === 'make wp' && !wp.external)).toBe(true);
  });

  it('parses the YAML it writes back to the same sprint', () => {
    const result = importMarkdown(fixture('work-packages'));
    expect(parse(sprintYaml(result.sprint ?? {}, 'a comment'))).toEqual(result.sprint);
  });
});

describe('readSize', () => {
  it.each([
    ['~350 lines', { points: 5 }],
    ['~300 lines', { points: 3 }],
    ['40 LOC', { points: 1 }],
    ['1,200 lines', { points: 13 }],
    ['Small', { points: 2 }],
    ['XL', { points: 8 }],
    ['Medium (a day or two)', { points: 3 }],
    ['5 SP', { points: 5 }],
    ['2 story points', { points: 2 }],
    ['2h', { estimate: '2h' }],
    ['1h30m', { estimate: '1h30m' }],
    ['1.5 hours', { estimate: '90m' }],
    ['3 days', { estimate: '3d' }],
  ])('%s', (text, expected) => {
    expect(readSize(text)).toEqual(expected);
  });

  it.each(['a while', 'soon', ''])('%j is not a size', (text) => {
    expect(readSize(text)).toBeUndefined();
  });
});

describe('any text', () => {
  const fragments = [
    '# Work Packages: X\n',
    '## Work Package WP01: A (Priority: P0, MVP)\n',
    '### WP02 - B (P9, what)\n',
    '### Dependencies\n',
    '- Depends on WP01, WP02\n',
    '- Depends on WP07\n',
    '- None\n',
    '- [ ] T001 x\n',
    '- [x] T001\n',
    '**Estimated Size**: ~90 lines\n',
    '**Execution Order**:\n1. WP02\n2. WP01 (depends on all)\n',
    '| ID | WP |\n|---|---|\n| T001 | WP02 |\n',
    '### Pod-1: Issue #2 - P\n',
    '```\nWP01 -> WP02\n```\n',
    '\r\n',
    '\n',
  ];
  it('never throws, and what it writes always passes the sprint file check', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string()), { maxLength: 30 }),
        (parts) => {
          const result = importMarkdown(parts.join(''), { fallbackId: 'fuzz' });
          if (result.sprint) expect(checkSprintSpec(result.sprint).ok).toBe(true);
          else expect(result.problems.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
