import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderProgressTable } from '../../src/domain/render-progress';
import { sprintStatusJson } from '../../src/schemas/status-json';
import { progressQuery } from '../../src/workflows/messages';
import { settledSprintState } from '../../src/workflows/outcomes';
import { fixtureGit } from '../support/git-fixtures';
import { pkg, sprint, startHarness, startSprint, waitFor } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(120_000);

/** Edits the line every package of the test edits, and commits as an executor's work would. */
const edit = (value: string) =>
  `sed -i 's/^value=.*/value=${value}/' shared.txt && echo "${value}" >> "notes-${value}.txt"`;

describe('merge rehearsal while the sprint runs', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('predicts two packages editing the same lines, naming both and the file, before the final merge', async () => {
    const gate = path.join(harness.sandbox.dir, 'let-the-last-one-finish');
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 3,
      packages: [
        { id: 'WP01', title: 'One', run: edit('1') },
        { id: 'WP02', title: 'Two', run: edit('2') },
        { id: 'WP03', title: 'Clean', dependsOn: ['WP01'], run: 'echo clean >> README.md' },
        // Holds the sprint open until the test has seen the prediction.
        {
          id: 'WP04',
          title: 'Slow',
          run: `while [ ! -f '${gate}' ]; do sleep 0.1; done; echo slow > slow.txt`,
        },
      ],
    });
    const worker = await harness.worker();
    await worker.runUntil(async () => {
      const handle = await startSprint(harness, { spec });
      const running = await waitFor(
        () => handle.query(progressQuery),
        (state) => (state.predictedConflicts ?? []).length > 0,
        'a predicted conflict',
      );
      // Seen while the last package still runs, before any merge into the integration branch.
      expect(running.status).toBe('running');
      expect(pkg(running, 'WP04').status).toBe('in_progress');
      expect(running.integration.status).toBe('pending');
      expect(existsSync(gate)).toBe(false);
      // Whichever of the two completed first, the merge order names WP02 as the one that fails.
      const predicted = { wpId: 'WP02', with: ['WP01'], files: ['shared.txt'] };
      expect(running.predictedConflicts).toEqual([predicted]);
      expect(sprintStatusJson(running).predictedConflicts).toEqual([predicted]);
      expect(renderProgressTable(running, Date.now())).toContain(
        '- WP02 would conflict with WP01 in shared.txt',
      );
      const branches = await fixtureGit(harness.sandbox.repo).raw(['branch', '--list']);
      expect(branches).not.toContain('integration');

      await writeFile(gate, '');
      const final = await settledSprintState(handle);
      // The final merge decides, and agrees.
      expect(final.integration.conflicts).toEqual([
        { wpId: 'WP02', branch: pkg(final, 'WP02').branch, files: ['shared.txt'] },
      ]);
      expect(final.integration.merged).toEqual(['WP01', 'WP04', 'WP03']);
    });
  });
});
