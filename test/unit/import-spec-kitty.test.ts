import path from 'node:path';
import { importMarkdown } from '../../src/import';
import type { ImportResult } from '../../src/import';
import { importFolder } from '../../src/import/folder';

const FEATURE = path.resolve(__dirname, '..', 'fixtures', 'import-spec-kitty', 'feature');

type Pkg = { id: string; title: string; dependsOn?: string[]; priority?: string; mvp?: boolean };

function packages(result: ImportResult): Pkg[] {
  if (!result.sprint) throw new Error(JSON.stringify(result.problems));
  return result.sprint.packages as Pkg[];
}

function deps(result: ImportResult): Record<string, string[]> {
  return Object.fromEntries(packages(result).map((pkg) => [pkg.id, pkg.dependsOn ?? []]));
}

const doc = (...lines: string[]): string => `# Work Packages: Plan\n\n${lines.join('\n')}\n`;

describe('spec-kitty headings and ids', () => {
  it('reads `## Work Package 1 — Title` as WP01', () => {
    const result = importMarkdown(
      doc(
        '## Work Package 1 — Setup',
        '',
        '## Work Package 2: Build',
        '',
        '**Dependencies**: WP01',
      ),
    );
    expect(deps(result)).toEqual({ WP01: [], WP02: ['WP01'] });
    expect(packages(result)[0]?.title).toBe('Setup');
  });

  it('reads ids with letters and dashes such as WP-A1 and WP-B2', () => {
    const result = importMarkdown(
      doc('## WP-A1 — Schema', '', '## WP-B2 — Routes', '', '**Dependencies**: WP-A1'),
    );
    expect(deps(result)).toEqual({ 'WP-A1': [], 'WP-B2': ['WP-A1'] });
  });
});

describe('spec-kitty dependency lines', () => {
  it('does not read Blocks or No conflicts with as dependencies', () => {
    const result = importMarkdown(
      doc(
        '## WP01: One',
        '- **Dependencies**: none',
        '- **Blocks**: WP02',
        '- **No conflicts with**: WP03',
        '## WP02: Two',
        '- **Dependencies**: WP01',
        '## WP03: Three',
        '- **Dependencies**: none',
      ),
    );
    expect(deps(result)).toEqual({ WP01: [], WP02: ['WP01'], WP03: [] });
    expect(result.problems).toEqual([]);
  });

  it('reads only the Dependencies label, not the labelled lines after it in its paragraph', () => {
    const result = importMarkdown(
      doc(
        '## WP01: One',
        '## WP02: Two',
        '## WP03: Three',
        '',
        '**Dependencies**: WP01',
        '**Parallelization**: runs beside WP02',
        '**Owned files**: `a.py` (WP02 reads it)',
        '**Requirement Refs**: FR-001',
        '**Estimated prompt size**: ~300 lines',
      ),
    );
    expect(deps(result).WP03).toEqual(['WP01']);
    expect(result.problems).toEqual([]);
  });

  it('reads `Priority: P1. Dependencies: WP01.` on one line as two fields', () => {
    const result = importMarkdown(
      doc('## WP01: One', '## WP02: Two', '- **Priority**: P2. **Dependencies**: WP01.'),
    );
    expect(packages(result)[1]).toMatchObject({ priority: 'P2', dependsOn: ['WP01'] });
  });

  it.each(['WP01-04', 'WP01–WP04', 'WP01 through WP04'])(
    'reads the range %s as four packages',
    (range) => {
      const headings = ['## WP01: A', '## WP02: B', '## WP03: C', '## WP04: D'];
      const result = importMarkdown(
        doc(...headings, '## WP05: E', '### Dependencies', `Depends on ${range}`),
      );
      expect(deps(result).WP05).toEqual(['WP01', 'WP02', 'WP03', 'WP04']);
      expect(result.warnings.concat(result.problems).map((n) => n.message)).not.toContainEqual(
        expect.stringMatching(/dependenc/),
      );
    },
  );

  it('reads `all previous WPs` as every package before it', () => {
    const result = importMarkdown(
      doc('## WP01: A', '## WP02: B', '## WP03: C', '**Dependencies**: all previous WPs'),
    );
    expect(deps(result).WP03).toEqual(['WP01', 'WP02']);
  });

  it('does not take a clause about the package itself or a parallel one as a dependency', () => {
    const result = importMarkdown(
      doc(
        '## WP01: A',
        '## WP02: B',
        '## WP03: C',
        '### Dependencies',
        'Depends on WP02 — WP02 adds the checks; WP03 builds on them.',
        'Can run in parallel with WP01.',
      ),
    );
    expect(deps(result).WP03).toEqual(['WP02']);
    expect(result.problems).toEqual([]);
  });
});

describe('spec-kitty summaries, subtasks and sizes', () => {
  it('reads `Sequence: WP01 → WP02 → WP03` as three steps, without problems', () => {
    const result = importMarkdown(
      doc(
        '## WP01: A',
        '## WP02: B',
        '**Dependencies**: WP01',
        '## WP03: C',
        '**Dependencies**: WP01',
        '## Dependency & Execution Summary',
        '- **Sequence**: WP01 → WP02 → WP03',
        '- **Parallelization**: WP02 and WP03 after WP01',
      ),
    );
    expect(result.problems).toEqual([]);
    expect(result.warnings.map((n) => n.message)).not.toContainEqual(
      expect.stringMatching(/Execution Order/),
    );
  });

  it('takes subtasks kept only in the index table as the packages’ tasks', () => {
    const result = importMarkdown(
      doc(
        '| ID | Description | WP |',
        '|----|-------------|----|',
        '| T001 | Write the store | WP01 |',
        '| T002 | Test the store | WP01 |',
        '',
        '## WP01: Store',
        '- **Subtasks**: T001, T002',
      ),
    );
    expect(result.problems).toEqual([]);
    expect(result.sprint?.packages).toMatchObject([
      {
        tasks: [
          { id: 'T001', title: 'Write the store' },
          { id: 'T002', title: 'Test the store' },
        ],
      },
    ]);
  });

  it('reads a size like “5 subtasks, ~350 lines”', () => {
    const result = importMarkdown(
      doc('## WP01: A', '**Estimated prompt size**: 5 subtasks, ~350 lines'),
    );
    expect(result.problems).toEqual([]);
    expect(packages(result)[0]).toMatchObject({ points: 5 });
  });
});

describe('spec-kitty heading tags and priorities', () => {
  it('marks a package whose heading ends with 🎯 MVP as MVP', () => {
    const result = importMarkdown(doc('## Work Package WP01: Scanner (Priority: P1) 🎯 MVP'));
    expect(packages(result)[0]).toMatchObject({ title: 'Scanner', priority: 'P1', mvp: true });
  });

  it('reads `P0 — remark`, `[Priority: P2]` and takes P3 out of the title', () => {
    const result = importMarkdown(
      doc(
        '## WP01: Core',
        '**Priority**: P0 — foundation for the rest',
        '#### WP02: Templates [Priority: P2] ✅',
        '## Work Package WP03: Polish (Priority: P3)',
      ),
    );
    expect(packages(result).map((pkg) => [pkg.title, pkg.priority])).toEqual([
      ['Core', 'P0'],
      ['Templates', 'P2'],
      ['Polish', 'P2'],
    ]);
    expect(result.warnings).toContainEqual({
      line: 6,
      message: expect.stringContaining('P3 is read as P2'),
    });
  });
});

describe('rejections name the line that caused them', () => {
  it('puts a dependency loop at the dependency line that closes it', () => {
    const result = importMarkdown(
      doc(
        '## WP01: A',
        '',
        '**Dependencies**: WP02',
        '',
        '## WP02: B',
        '',
        '**Dependencies**: WP01',
      ),
    );
    expect(result.sprint).toBeUndefined();
    expect(result.problems).toEqual([
      { line: 5, message: expect.stringContaining('WP01 → WP02 → WP01 is a dependency loop') },
    ]);
  });

  it('points at the headings it skipped when it finds no packages', () => {
    const result = importMarkdown(doc('## Package Alpha: setup', '', '## Notes'));
    expect(result.sprint).toBeUndefined();
    expect(result.problems).toEqual([
      { line: 1, message: expect.stringContaining('found no packages') },
      { line: 3, message: '“## Package Alpha: setup” is not a package heading: skipped' },
    ]);
  });
});

describe('importFolder: a spec-kitty feature folder', () => {
  it('takes the prompt files’ frontmatter dependencies and warns where tasks.md differs', async () => {
    const result = await importFolder(FEATURE);
    expect(deps(result)).toEqual({ WP01: [], WP02: ['WP01'], WP03: ['WP01'] });
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([
      {
        line: 24,
        message:
          'WP03: the plan says it depends on WP01, WP02, its prompt file tasks/planned/WP03-query-index.md on WP01: the prompt file wins',
      },
    ]);
    expect(packages(result)[0]).toMatchObject({ mvp: true, priority: 'P0', points: 3 });
    expect(result.sprint?.packages).toMatchObject([
      { description: expect.stringContaining('Prompt: tasks/WP01-library-setup.md') },
      { tasks: [{ id: 'T002', title: 'Write the event store' }] },
      { description: 'Prompt: tasks/planned/WP03-query-index.md' },
    ]);
  });

  it('names the prompt file and line of a loop its frontmatter makes', () => {
    const result = importMarkdown(doc('## WP01: A', '## WP02: B'), {
      prompts: [
        { file: 'tasks/WP01-a.md', id: 'WP01', dependencies: { ids: ['WP02'], line: 3 }, text: '' },
        { file: 'tasks/WP02-b.md', id: 'WP02', dependencies: { ids: ['WP01'], line: 3 }, text: '' },
      ],
    });
    expect(result.sprint).toBeUndefined();
    expect(result.problems).toEqual([
      {
        line: 3,
        file: 'tasks/WP01-a.md',
        message: expect.stringContaining('WP01 → WP02 → WP01 is a dependency loop'),
      },
    ]);
  });

  it('keeps tasks.md’s dependencies when no prompt file lists any', () => {
    const result = importMarkdown(doc('## WP01: A', '## WP02: B', '**Dependencies**: WP01'), {
      prompts: [
        { file: 'tasks/WP01-a.md', id: 'WP01', dependencies: { ids: [], line: 3 }, text: '' },
        { file: 'tasks/WP02-b.md', id: 'WP02', dependencies: { ids: [], line: 3 }, text: '' },
      ],
    });
    expect(deps(result)).toEqual({ WP01: [], WP02: ['WP01'] });
    expect(result.warnings.map((n) => n.message)).not.toContainEqual(
      expect.stringMatching(/prompt file/),
    );
  });
});
