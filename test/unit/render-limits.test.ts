import { COMMENT_BUDGET, GITHUB_BODY_LIMIT, fittedText } from '../../src/domain/fitted-text';
import type { PackageProgress, ProgressEvent, SprintProgress } from '../../src/domain/progress';
import {
  renderFinalTexts,
  renderProgressTable,
  renderSummary,
} from '../../src/domain/render-progress';
import { applyEvents, startedProgress } from '../support/specs';

const T0 = Date.UTC(2025, 9, 19, 16, 30, 0);

const evidence = (files: number) => ({
  commit: 'c'.repeat(40),
  filesChanged: files,
  insertions: files,
  deletions: 0,
  files: [],
});

/** Ten lines of 250 characters: each shown cut to the output width. */
const LONG_OUTPUT = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(250));

type Fate = 'completed' | 'failed' | 'in_progress' | 'pending' | 'deferred';

/**
 * A sprint of `count` packages, each with the fate `fate(i)` gives it; failed packages carry
 * ten long lines of output and blocked ones follow from failed dependencies.
 */
function sprintOf(count: number, fate: (i: number) => Fate, finished = false): SprintProgress {
  const id = (i: number) => `P${String(i).padStart(5, '0')}`;
  const packages = Array.from({ length: count }, (_, i) => ({
    id: id(i),
    title: `Package ${i} 🚀`,
    run: 'true',
    // Every 50th package waits for the one before it: blocked when that one failed.
    dependsOn: i % 50 === 49 ? [id(i - 1)] : [],
  }));
  const state = startedProgress({ concurrency: 50, packages }, T0);
  const events: ProgressEvent[] = [];
  for (let i = 0; i < count; i++) {
    const wp = id(i);
    const what = fate(i);
    if (what === 'pending') continue;
    if (what === 'deferred') {
      events.push({ type: 'package-deferred', id: wp, reason: 'out of time ⏰' });
      continue;
    }
    events.push({ type: 'package-started', id: wp, at: T0 + i, attempt: 1 });
    if (what === 'in_progress') {
      events.push({ type: 'package-progress', id: wp, attempt: 1, done: 1, total: 4 });
    } else if (what === 'failed') {
      events.push({
        type: 'package-failed',
        id: wp,
        at: T0 + i + 1,
        error: '`npm test` exited with code 1',
        exitCode: 1,
        outputTail: LONG_OUTPUT,
      });
      const next = packages[i + 1];
      if (next?.dependsOn.includes(wp)) {
        events.push({ type: 'package-blocked', id: next.id, by: [wp] });
        i += 1;
      }
    } else {
      events.push({ type: 'package-completed', id: wp, at: T0 + i + 1, evidence: evidence(1) });
    }
  }
  if (!finished) return applyEvents(state, ...events);
  const done = applyEvents(state, ...events);
  const merged = done.packages.filter((wp) => wp.status === 'completed').map((wp) => wp.id);
  return applyEvents(
    done,
    { type: 'integration-merging' },
    { type: 'integration-merged', commit: 'm', worktree: '/w', merged, conflicts: [] },
    { type: 'integration-checked', checks: [] },
    { type: 'sprint-finished', at: T0 + 3_600_000 },
  );
}

/** About one in 20 failed (some blocking the next), one in 30 running, one in 70 deferred. */
const mixed = (i: number): Fate =>
  i % 40 === 7 || i % 50 === 48
    ? 'failed'
    : i % 30 === 3
      ? 'in_progress'
      : i % 70 === 5
        ? 'deferred'
        : 'completed';

/** Failed, blocked, in progress and deferred packages: the most urgent first, in sprint order. */
const needsAPerson = (state: SprintProgress) =>
  (['failed', 'blocked', 'in_progress', 'deferred'] as const).flatMap((status) =>
    state.packages.filter((wp) => wp.status === status),
  );

const count = (state: SprintProgress, status: PackageProgress['status']) =>
  state.packages.filter((wp) => wp.status === status).length;

/** Table rows are whole: five cells, closed by a pipe. */
function expectWholeRows(text: string): void {
  const rows = text.split('\n').filter((line) => line.startsWith('| '));
  for (const row of rows) {
    expect(row.endsWith('|')).toBe(true);
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(7);
  }
}

/** Code fences open and close in pairs, and no surrogate pair is split. */
function expectWholeText(text: string): void {
  const fences = text.split('\n').filter((line) => /^\s*`{3,}$/.test(line));
  expect(fences.length % 2).toBe(0);
  expect(text).not.toMatch(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
  );
}

describe('the progress table within GitHub’s limit', () => {
  it('100 packages: the full table, unchanged', () => {
    const state = sprintOf(100, mixed);
    const table = renderProgressTable(state, T0);
    expect(table).toBe(renderProgressTable(state, T0, Infinity));
    expect(table.length).toBeLessThanOrEqual(COMMENT_BUDGET);
    for (const wp of state.packages) expect(table).toContain(`| ${wp.id} | sh |`);
    expect(table).not.toContain('Full status');
  });

  it('1,500 packages: counts, every row that needs a person, and where the rest is', () => {
    const state = sprintOf(1_500, mixed);
    expect(renderProgressTable(state, T0, Infinity).length).toBeGreaterThan(GITHUB_BODY_LIMIT);

    const table = renderProgressTable(state, T0);
    expect(table.length).toBeLessThanOrEqual(COMMENT_BUDGET);
    expect(table).toContain(
      `**Packages:** ${count(state, 'completed')} ✅ Completed · ${count(state, 'in_progress')} 🔄 In Progress · ` +
        `${count(state, 'failed')} ❌ Failed · ${count(state, 'blocked')} ⛔ Blocked · ${count(state, 'deferred')} ⏸️ Deferred`,
    );
    const attention = needsAPerson(state);
    expect(attention.length).toBeGreaterThan(100);
    for (const wp of attention) expect(table).toContain(`| ${wp.id} | `);
    const completed = state.packages.find((wp) => wp.status === 'completed');
    expect(table).not.toContain(`| ${completed?.id} | `);
    expect(table).toContain(`**Full status:** \`sprintwave status ${state.id} --json\``);
    expect(table).toContain('**Overall:**');
    expectWholeRows(table);
    expectWholeText(table);
  });

  it('10,000 packages of which many failed: as many rows as fit, then how many more', () => {
    const state = sprintOf(10_000, (i) => (i % 4 === 1 ? 'failed' : mixed(i)));
    const table = renderProgressTable(state, T0);
    expect(table.length).toBeLessThanOrEqual(COMMENT_BUDGET);

    const attention = needsAPerson(state);
    const shown = attention.filter((wp) => table.includes(`| ${wp.id} | `));
    expect(shown.length).toBeGreaterThan(500);
    // Failed first, in sprint order.
    expect(shown.map((wp) => wp.id)).toEqual(attention.slice(0, shown.length).map((wp) => wp.id));
    expect(table).toContain(`| …and ${attention.length - shown.length} more | | | | |`);
    expect(table).toContain(`${count(state, 'failed')} ❌ Failed`);
    expectWholeRows(table);
    expectWholeText(table);
  });

  it('a table with a few failures of long output keeps them when it has room', () => {
    const state = sprintOf(1_500, (i) => (i === 3 || i === 900 ? 'failed' : 'completed'));
    const table = renderProgressTable(state, T0);
    expect(table).toContain('| P00003 | sh | ❌ Failed |');
    expect(table).toContain(
      `- P00900: \`npm test\` exited with code 1\n  \`\`\`\n  ${'0'.repeat(199)}…`,
    );
    expect(table).not.toContain('more note');
  });
});

describe('the final summary within GitHub’s limit', () => {
  it('100 packages: the full summary, unchanged', () => {
    const state = sprintOf(100, mixed, true);
    const summary = renderSummary(state);
    expect(summary).toBe(renderSummary(state, Infinity));
    expect(summary).toContain('- P00000: 1 file integrated');
  });

  it.each([1_500, 10_000])('%i packages: merged ones counted, failures first', (size) => {
    const state = sprintOf(size, mixed, true);
    const { progress, summary } = renderFinalTexts(state);
    expect(progress.length).toBeLessThanOrEqual(COMMENT_BUDGET);
    expect(summary.length).toBeLessThanOrEqual(COMMENT_BUDGET);
    const merged = state.integration.merged.length;
    expect(summary).toContain(`- ${merged} packages: ${merged} files integrated`);
    expect(summary).not.toContain('- P00000: 1 file integrated');
    const failed = state.packages.find((wp) => wp.status === 'failed');
    expect(summary).toContain(`- ${failed?.id}: not merged (❌ Failed: \`npm test\` exited`);
    expect(summary).toContain(`**Full status:** \`sprintwave status ${state.id} --json\``);
    expectWholeText(summary);
    expectWholeText(progress);
    expectWholeRows(progress);
  });
});

describe('fittedText', () => {
  it('keeps fixed lines, fills lists in order and counts what is left', () => {
    const list = {
      items: ['aaaa', 'bbbb', 'cccc', 'dddd'].map((line) => [line]),
      more: (left: number) => [`+${left}`],
    };
    expect(fittedText([['head'], list, ['tail']], 100)).toBe('head\naaaa\nbbbb\ncccc\ndddd\ntail');
    const fitted = fittedText([['head'], list, ['tail']], 22);
    expect(fitted).toBe('head\naaaa\nbbbb\n+2\ntail');
    expect(fitted.length).toBeLessThanOrEqual(22);
  });

  it('cuts over-long fixed text at a line, or else between characters, never inside one', () => {
    const emoji = '🚀'.repeat(40);
    expect(fittedText([['short', emoji]], 30)).toBe('short\n…');
    const cut = fittedText([[emoji]], 31);
    expect(cut.length).toBeLessThanOrEqual(31);
    expectWholeText(cut);
  });
});
