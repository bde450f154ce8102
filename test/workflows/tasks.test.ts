import { taskCounts } from '../../src/domain/progress';
import { renderProgressTable } from '../../src/domain/render-progress';
import { importMarkdown } from '../../src/import';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { uniqueId } from '../support/temporal';
import { pkg, runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(90_000);

describe('a package checklist ticked off by `::done` lines of a real executor', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('ticks each task once, ignores unknown ids with a warning, and shows it in the table', async () => {
    const spec = sprint(harness.sandbox.repo, {
      packages: [
        {
          id: 'WP01',
          title: 'Identity',
          tasks: [
            { id: 'T001', title: 'Dataclass' },
            { id: 'T002', title: 'Helpers' },
            { id: 'T003', title: 'Atomic writes' },
          ],
          run: [
            'echo a > a.txt',
            'echo "::done T001"',
            'echo "::done T003 atomic writes"',
            'echo "::done T003"',
            'echo "::done T999"',
          ].join(' && '),
        },
        { id: 'WP02', title: 'Emitter', dependsOn: ['WP01'], run: 'echo "::done T001"' },
      ],
    });
    const { state } = await runToEnd(harness, { spec });
    expect(state.status).toBe('completed');
    const wp01 = pkg(state, 'WP01');
    expect(wp01.tasks).toEqual([
      { id: 'T001', done: true },
      { id: 'T002', done: false },
      { id: 'T003', done: true },
    ]);
    expect(taskCounts(wp01)).toEqual({ completed: 2, total: 3 });
    expect(pkg(state, 'WP02').tasks).toBeUndefined();
    expect(state.warnings).toEqual([
      'WP01: ignored `::done` for tasks not on its checklist: T999',
      'WP02: ignored `::done` for tasks not on its checklist: T001',
    ]);
    expect(renderProgressTable(state)).toMatch(
      /\| WP01 \| [^|]+ \| ✅ Completed \| 1\/1 \| 100% \(2\/3 tasks\) \|/,
    );
  });

  it('runs an imported plan whose subtasks a command ticks off', async () => {
    const markdown = [
      '# Work Packages: Tiny',
      '',
      '## Work Package **WP01**: Only (Priority: P0, MVP)',
      '',
      '### Included Subtasks',
      '- [ ] T001 Write the file',
      '- [ ] T002 Say so',
      '',
    ].join('\r\n');
    const imported = importMarkdown(markdown, {
      id: uniqueId('imported'),
      repo: harness.sandbox.repo,
      run: 'echo x > x.txt && echo "::done T001" && echo "::done T002"',
    });
    const checked = checkSprintSpec(imported.sprint);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const { state } = await runToEnd(harness, { spec: checked.spec });
    expect(state.status).toBe('completed');
    expect(taskCounts(pkg(state, 'WP01'))).toEqual({ completed: 2, total: 2 });
  });
});
