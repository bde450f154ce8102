import { eventsForChange } from '../../src/domain/event-log';
import { reduceProgress } from '../../src/domain/progress-reducer';
import { ChangedFiles, rehearsalChanged, rehearsalWork } from '../../src/domain/rehearsal';
import type { RehearsedPackage } from '../../src/domain/rehearsal';
import { renderProgressTable } from '../../src/domain/render-progress';
import { applyEvents, startedProgress } from '../support/specs';

const AT = Date.parse('2026-01-05T09:00:00Z');

const step = (wpId: string, head: string, tip: string): RehearsedPackage => ({ wpId, head, tip });

describe('what the next merge rehearsal does', () => {
  const rehearsed = [step('A', 'a1', 't1'), step('B', 'b1', 't2'), step('C', 'c1', 't3')];

  it('keeps everything and merges only a package completed after the others in merge order', () => {
    const work = rehearsalWork(rehearsed, [
      { wpId: 'A', head: 'a1' },
      { wpId: 'B', head: 'b1' },
      { wpId: 'C', head: 'c1' },
      { wpId: 'D', head: 'd1' },
    ]);
    expect(work).toEqual({ kept: rehearsed, from: 't3', packages: ['D'] });
  });

  it('starts over at a package that completed earlier in merge order than others', () => {
    const work = rehearsalWork(rehearsed, [
      { wpId: 'A', head: 'a1' },
      { wpId: 'X', head: 'x1' },
      { wpId: 'B', head: 'b1' },
      { wpId: 'C', head: 'c1' },
    ]);
    expect(work).toEqual({ kept: rehearsed.slice(0, 1), from: 't1', packages: ['X', 'B', 'C'] });
  });

  it('merges a redone package again from its place, with everything after it', () => {
    const work = rehearsalWork(rehearsed, [
      { wpId: 'A', head: 'a1' },
      { wpId: 'B', head: 'b2' },
      { wpId: 'C', head: 'c1' },
    ]);
    expect(work).toEqual({ kept: rehearsed.slice(0, 1), from: 't1', packages: ['B', 'C'] });
  });

  it('goes from the base when the first package changed, and drops a package retried and not done', () => {
    expect(rehearsalWork(rehearsed, [{ wpId: 'B', head: 'b1' }])).toEqual({
      kept: [],
      packages: ['B'],
    });
    const dropped = rehearsalWork(rehearsed, [
      { wpId: 'A', head: 'a1' },
      { wpId: 'B', head: 'b1' },
    ]);
    expect(dropped).toEqual({ kept: rehearsed.slice(0, 2), from: 't2', packages: [] });
    expect(rehearsalChanged(dropped, rehearsed.length)).toBe(true);
    const same = rehearsalWork(rehearsed, rehearsed);
    expect(rehearsalChanged(same, rehearsed.length)).toBe(false);
  });
});

describe('a predicted conflict in the sprint state', () => {
  const started = applyEvents(
    startedProgress(
      {
        packages: [
          { id: 'WP01', title: 'One', run: 'true' },
          { id: 'WP02', title: 'Two', run: 'true' },
        ],
      },
      AT,
    ),
  );
  const conflict = { wpId: 'WP02', with: ['WP01'], files: ['shared.txt'] };

  it('becomes the headline, one event, and a line under the table until the final merge', () => {
    const predicted = reduceProgress(started, { type: 'merge-rehearsed', conflicts: [conflict] });
    expect(predicted.predictedConflicts).toEqual([conflict]);
    expect(predicted.headline).toBe(
      'Predicted conflict: WP02 would conflict with WP01 in shared.txt',
    );
    const drafts = eventsForChange(started, predicted, {
      type: 'merge-rehearsed',
      conflicts: [conflict],
    });
    expect(drafts).toEqual([
      {
        type: 'MergeConflictPredicted',
        wpId: 'WP02',
        attempt: 1,
        payload: { with: ['WP01'], files: ['shared.txt'] },
      },
    ]);
    expect(renderProgressTable(predicted, AT)).toContain(
      '**⚠️ Predicted merge conflicts** (1; the final merge decides):\n- WP02 would conflict with WP01 in shared.txt',
    );

    // The same prediction again is no change and no event; a clean rehearsal clears it.
    const again = reduceProgress(predicted, { type: 'merge-rehearsed', conflicts: [conflict] });
    expect(again).toBe(predicted);
    const cleared = reduceProgress(predicted, { type: 'merge-rehearsed', conflicts: [] });
    expect(cleared.predictedConflicts).toEqual([]);
    expect(renderProgressTable(cleared, AT)).not.toContain('Predicted merge conflicts');

    const merging = reduceProgress(predicted, { type: 'integration-merging' });
    expect(renderProgressTable(merging, AT)).not.toContain('Predicted merge conflicts');
  });
});

describe('which completions need a rehearsal', () => {
  it('only one that changed a file another completed package changed', () => {
    const changed = new ChangedFiles();
    changed.add('A', ['src/a.ts', 'README.md']);
    changed.add('B', ['src/b.ts']);
    expect(changed.meetsAnother('B', new Set(['A', 'B']))).toBe(false);
    changed.add('C', ['README.md']);
    expect(changed.meetsAnother('C', new Set(['A', 'B', 'C']))).toBe(true);
    // A retried (no longer completed): C meets nobody; A's files, once redone, are its new ones.
    expect(changed.meetsAnother('C', new Set(['B', 'C']))).toBe(false);
    changed.add('A', ['src/a.ts']);
    expect(changed.meetsAnother('C', new Set(['A', 'B', 'C']))).toBe(false);
  });

  it('counts a package completed in an earlier run, whose files it does not know, as meeting', () => {
    const changed = new ChangedFiles();
    changed.add('B', ['src/b.ts']);
    expect(changed.meetsAnother('B', new Set(['A', 'B']))).toBe(true);
  });

  it('knows the files an earlier run handed over, and hands them on with its own', () => {
    const earlier = new ChangedFiles();
    earlier.add('A', ['src/a.ts']);
    const changed = new ChangedFiles(JSON.parse(JSON.stringify(earlier)));
    changed.add('B', ['src/b.ts']);
    expect(changed.meetsAnother('B', new Set(['A', 'B']))).toBe(false);
    changed.add('C', ['src/a.ts']);
    expect(changed.meetsAnother('C', new Set(['A', 'B', 'C']))).toBe(true);
    expect(changed.toJSON()).toEqual({ A: ['src/a.ts'], B: ['src/b.ts'], C: ['src/a.ts'] });
  });
});
