import { createLiveView } from '../../src/cli/live';
import { parseStatusJson } from '../../src/cli/status-reply';
import { renderStatus } from '../../src/cli/commands/status';
import { planSprint } from '../../src/domain/plan';
import { agentLabel } from '../../src/domain/progress';
import { failureOutput, redactSecrets } from '../../src/domain/failure-output';
import type { SprintProgress } from '../../src/domain/progress';
import { renderPlan } from '../../src/domain/render-plan';
import { renderProgressTable, renderSummary } from '../../src/domain/render-progress';
import { sprintStatusJson } from '../../src/schemas/status-json';
import { packageDetails, sprintDetails } from '../../src/domain/web-ui';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { applyEvents, startedProgress, wp } from '../support/specs';

const T0 = Date.UTC(2025, 9, 19, 16, 30, 0);
const UI = { url: 'http://127.0.0.1:8233', namespace: 'default' };
const page = (id: string) => `${UI.url}/namespaces/default/workflows/${encodeURIComponent(id)}`;

const evidence = (files: number) => ({
  commit: 'c'.repeat(40),
  filesChanged: files,
  insertions: files,
  deletions: 0,
  files: [],
});

/** 15 lines of output, the last with a token in a remote URL and one far too long. */
const OUTPUT = [
  ...Array.from({ length: 12 }, (_, i) => `line ${i + 1}`),
  `fatal: unable to access 'https://x-access-token:ghp_${'a'.repeat(36)}@github.com/o/r.git/'`,
  'y'.repeat(500),
  'npm ERR! Test failed.  See above for more details.',
];

/** WP01 completed (1 file), WP02 failed with output, WP03 blocked by it, WP04 deferred. */
function failedSprint(): SprintProgress {
  const state = startedProgress(
    {
      scope: 'mvp',
      packages: [
        { id: 'WP01', title: 'Base', run: 'true', mvp: true },
        { id: 'WP02', title: 'Tests', run: 'npm test', mvp: true, dependsOn: ['WP01'] },
        { id: 'WP03', title: 'Docs', run: 'true', mvp: true, dependsOn: ['WP02'] },
        { id: 'WP04', title: 'Extra', run: 'true' },
      ],
    },
    T0,
  );
  return applyEvents(
    state,
    { type: 'package-started', id: 'WP01', at: T0, attempt: 1 },
    { type: 'package-completed', id: 'WP01', at: T0 + 1_000, evidence: evidence(1) },
    { type: 'package-started', id: 'WP02', at: T0 + 2_000, attempt: 1 },
    {
      type: 'package-failed',
      id: 'WP02',
      at: T0 + 3_000,
      error: '`npm test` exited with code 3',
      exitCode: 3,
      outputTail: OUTPUT,
    },
    { type: 'package-blocked', id: 'WP03', by: ['WP02'] },
    { type: 'integration-merging' },
    { type: 'integration-merged', commit: 'm', worktree: '/w', merged: ['WP01'], conflicts: [] },
    { type: 'integration-checked', checks: [] },
    { type: 'sprint-finished', at: T0 + 60_000 },
  );
}

const TOKEN = `ghp_${'a'.repeat(36)}`;
const SHOWN = [
  'line 6',
  'line 7',
  'line 8',
  'line 9',
  'line 10',
  'line 11',
  'line 12',
  "fatal: unable to access 'https://[REDACTED]@github.com/o/r.git/'",
  `${'y'.repeat(199)}…`,
  'npm ERR! Test failed.  See above for more details.',
];

describe('the output of a failed command is shown', () => {
  it('keeps the last 10 lines, each cut at 200 characters, with credentials taken out', () => {
    const state = failedSprint();
    const failed = state.packages[1];
    expect(failed && failureOutput(failed)).toEqual(SHOWN);
    expect(redactSecrets(`GITHUB_TOKEN=${TOKEN}`)).toBe('GITHUB_TOKEN=[REDACTED]');
    expect(redactSecrets('Authorization: Bearer abcdefghijkl')).toBe(
      'Authorization: Bearer [REDACTED]',
    );
    expect(redactSecrets(`using ${TOKEN} now`)).toBe('using [REDACTED] now');
  });

  it('in the table notes (GitHub, /report, status) as a code block under the package', () => {
    const table = renderProgressTable(failedSprint());
    expect(table).toContain(
      [
        '- WP02: `npm test` exited with code 3',
        '  ```',
        ...SHOWN.map((l) => `  ${l}`),
        '  ```',
      ].join('\n'),
    );
    expect(table).not.toContain(TOKEN);
    expect(table).not.toContain('line 5\n');
  });

  it('in the final summary, under the package that was not merged', () => {
    const summary = renderSummary(failedSprint());
    expect(summary).toContain(
      ['- WP02: not merged (❌ Failed: `npm test` exited with code 3)', '  ```', '  line 6'].join(
        '\n',
      ),
    );
    expect(summary).not.toContain(TOKEN);
  });

  it('in the status JSON as outputTail, which the live view over the API shows', () => {
    const json = sprintStatusJson(failedSprint());
    expect(json.packages[1]?.outputTail).toEqual(SHOWN);
    expect(json.packages[0]?.outputTail).toBeUndefined();
    const out: string[] = [];
    const view = createLiveView({ out: (text) => out.push(text), err: () => {}, isTTY: false });
    view.update(parseStatusJson(JSON.parse(JSON.stringify(json))));
    expect(out).toContain('  │ line 6');
    expect(out.join('\n')).not.toContain(TOKEN);
  });

  it('in the live view, once, under the package that failed', () => {
    const out: string[] = [];
    const view = createLiveView({ out: (text) => out.push(text), err: () => {}, isTTY: false });
    view.update(failedSprint());
    view.update(failedSprint());
    const failedAt = out.findIndex((line) => line.includes('WP02 ❌ Failed'));
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(out.slice(failedAt + 1, failedAt + 3)).toEqual([
      '  WP02 output (last 10 lines):',
      '  │ line 6',
    ]);
    expect(out.filter((line) => line === '  │ line 6')).toHaveLength(1);
  });

  it('fences output that holds backticks with a longer fence', () => {
    const state = applyEvents(
      startedProgress({ packages: [{ id: 'A', title: 'a', run: 'x' }] }, T0),
      { type: 'package-started', id: 'A', at: T0, attempt: 1 },
      { type: 'package-failed', id: 'A', at: T0, error: 'e', outputTail: ['```', 'oops'] },
    );
    expect(renderProgressTable(state)).toContain('  ````\n  ```\n  oops\n  ````');
  });
});

describe('no dead links', () => {
  it('links only packages whose child workflow was started', () => {
    const state = failedSprint();
    expect(state.packages.map((p) => p.status)).toEqual([
      'completed',
      'failed',
      'blocked',
      'deferred',
    ]);
    const links = { WP01: page('s1/WP01'), WP02: page('s1/WP02') };
    expect(sprintStatusJson(state, {}, UI).links.packages).toEqual(links);
    const text = renderStatus(state, UI);
    expect(text).toContain(`  WP02: ${page('s1/WP02')}`);
    expect(text).not.toContain('s1%2FWP03');
    expect(text).not.toContain('s1%2FWP04');
  });

  it('does not link a pending package, nor one cancelled before it started; a retried one keeps its page', () => {
    let state = startedProgress(
      {
        packages: [
          { id: 'A', title: 'a', run: 'x' },
          { id: 'B', title: 'b', run: 'x' },
        ],
      },
      T0,
    );
    expect(sprintStatusJson(state, {}, UI).links.packages).toEqual({});
    state = applyEvents(
      state,
      { type: 'package-started', id: 'A', at: T0, attempt: 1 },
      { type: 'package-failed', id: 'A', at: T0, error: 'e' },
      { type: 'package-cancelled', id: 'B', at: T0 },
      { type: 'package-retried', id: 'A' },
    );
    expect(state.packages.map((p) => p.status)).toEqual(['pending', 'cancelled']);
    expect(sprintStatusJson(state, {}, UI).links.packages).toEqual({ A: page('s1/A') });
  });
});

describe('labels that mean something', () => {
  const state = applyEvents(
    startedProgress(
      {
        packages: [
          { id: 'WP01', title: 'Agent', agent: 'claude' },
          { id: 'WP02', title: 'Command', run: 'make' },
          { id: 'WP03', title: 'Person', external: true },
          { id: 'WP04', title: 'Later agent', agent: 'codex', dependsOn: ['WP01'] },
        ],
      },
      T0,
    ),
    { type: 'package-started', id: 'WP01', at: T0 + 7_000, attempt: 1 },
    { type: 'package-started', id: 'WP02', at: T0, attempt: 1 },
    { type: 'package-started', id: 'WP03', at: T0, attempt: 1 },
  );

  it('names the agent preset, sh for a command, external for a person', () => {
    expect(state.packages.map(agentLabel)).toEqual([
      'impl-claude-163007',
      'sh',
      'external',
      'codex',
    ]);
    const table = renderProgressTable(state, T0);
    expect(table).toContain('| WP01 | impl-claude-163007 | 🔄 In Progress |');
    expect(table).toContain('| WP02 | sh | 🔄 In Progress |');
    expect(table).toContain('| WP03 | external | 🔄 In Progress |');
    expect(table).toContain('| WP04 | codex | ⏳ Pending |');
    expect(sprintStatusJson(state).packages.map((p) => p.agent)).toEqual([
      'impl-claude-163007',
      'sh',
      'external',
      'codex',
    ]);
  });

  it('keeps the label over the status JSON, in the live view', () => {
    const out: string[] = [];
    const view = createLiveView({ out: (text) => out.push(text), err: () => {}, isTTY: false });
    view.update(parseStatusJson(JSON.parse(JSON.stringify(sprintStatusJson(state)))));
    expect(out.map((line) => /\((.+?)\)/.exec(line)?.[1])).toEqual([
      'impl-claude-163007',
      'sh',
      'external',
      'codex',
    ]);
  });
});

describe('headers that change', () => {
  const header = (state: SprintProgress) => renderProgressTable(state).split('\n')[0];
  const base = startedProgress({ title: 'T', packages: [{ id: 'A', title: 'a', run: 'x' }] }, T0);
  const done = applyEvents(
    base,
    { type: 'package-started', id: 'A', at: T0, attempt: 1 },
    { type: 'package-completed', id: 'A', at: T0, evidence: evidence(1) },
    { type: 'integration-merged', commit: 'm', worktree: '/w', merged: ['A'], conflicts: [] },
    { type: 'integration-checked', checks: [] },
  );

  it('says what became of the sprint', () => {
    expect(header(base)).toBe('## 🔄 Sprint Progress: T');
    expect(header(applyEvents(done, { type: 'sprint-finished', at: T0 }))).toBe(
      '## ✅ Sprint Completed: T',
    );
    expect(header(failedSprint())).toBe('## ❌ Sprint Failed: s1');
    expect(header(applyEvents(base, { type: 'sprint-finished', at: T0, cancelled: true }))).toBe(
      '## ⏹ Sprint Cancelled: T',
    );
    expect(renderStatus(failedSprint())).toMatch(/^## ❌ Sprint Failed: s1/);
  });

  it('counts one file as a file', () => {
    const summary = renderSummary(applyEvents(done, { type: 'sprint-finished', at: T0 }));
    expect(summary).toContain('- A: 1 file integrated');
  });

  it('plans without points in packages, with points in points', () => {
    const spec = (points?: number) => {
      const checked = checkSprintSpec({
        id: 'p',
        repo: '/r',
        packages: [
          { id: 'A', title: 'a', run: 'x', ...(points ? { points } : {}) },
          { id: 'B', title: 'b', run: 'x', dependsOn: ['A'], ...(points ? { points } : {}) },
        ],
      });
      if (!checked.ok) throw new Error('bad spec');
      return renderPlan(planSprint(checked.spec));
    };
    expect(spec()).toMatch(/Critical path {2}A → B \(2 packages\)\nTotal {10}2 packages$/);
    expect(spec(3)).toContain(
      'Critical path  A → B (6 points)\nTotal          2 packages, 6 points',
    );
  });
});

describe('Web UI details', () => {
  it('shows a multi-line command as written, in a code block', () => {
    const run = 'python - <<EOF\nfrom __future__ import annotations\n    print(1)\nEOF';
    expect(packageDetails('s1', wp('WP02', ['WP01'], { run, points: 1 }))).toBe(
      [
        'sprint s1 · priority P1 · 1 point',
        '',
        'Depends on WP01',
        '',
        'Command:',
        '```',
        'python - <<EOF',
        'from __future__ import annotations',
        '    print(1)',
        'EOF',
        '```',
      ].join('\n'),
    );
    expect(packageDetails('s1', wp('WP03', [], { run: undefined, agent: 'claude' }))).toContain(
      'Agent: claude',
    );
  });

  it("gives the sprint's waves, concurrency and where its status JSON is", () => {
    const checked = checkSprintSpec({
      id: 'identity-sync',
      repo: '/r',
      concurrency: 2,
      packages: [
        { id: 'WP01', title: 'a', run: 'x' },
        { id: 'WP02', title: 'b', run: 'x', dependsOn: ['WP01'] },
        { id: 'WP03', title: 'c', run: 'x', dependsOn: ['WP01'] },
      ],
    });
    if (!checked.ok) throw new Error('bad spec');
    expect(sprintDetails(checked.spec, 'http://127.0.0.1:3000/')).toBe(
      [
        'Waves · up to 2 at once · scope full · 3 packages',
        '',
        'Waves:',
        '',
        '1. WP01',
        '2. WP02 + WP03',
        '',
        'Status JSON: `sprintwave status identity-sync --json`, or `GET http://127.0.0.1:3000/sprints/identity-sync`',
      ].join('\n'),
    );
    expect(sprintDetails(checked.spec)).toContain('`GET /sprints/identity-sync on the HTTP API`');
  });

  it("keeps a big sprint's details to a page: 20 waves, 12 ids a wave at most", () => {
    const chain = Array.from({ length: 25 }, (_, i) => ({
      id: `C${i + 1}`,
      title: 'c',
      run: 'x',
      dependsOn: i ? [`C${i}`] : [],
    }));
    const wide = Array.from({ length: 30 }, (_, i) => ({ id: `W${i + 1}`, title: 'w', run: 'x' }));
    const checked = checkSprintSpec({ id: 'big', repo: '/r', packages: [...chain, ...wide] });
    if (!checked.ok) throw new Error('bad spec');
    const details = sprintDetails(checked.spec);
    expect(details).toContain('1. C1 + W1 + W2');
    expect(details).toContain('+ 19 more'); // 31 in wave 1, 12 named
    expect(details).toContain('20. C20\n… 5 more');
    expect(details).not.toContain('21. C21');
  });
});

describe('a package waiting for its day', () => {
  const state = startedProgress(
    {
      days: { count: 3, start: '2025-10-20' },
      capacity: 1,
      packages: [
        { id: 'WP01', title: 'a', run: 'x', points: 1 },
        { id: 'WP02', title: 'b', run: 'x', points: 1, dependsOn: ['WP01'] },
      ],
    },
    T0,
  );

  it('says so until its day begins', () => {
    expect(state.packages.map((p) => p.day)).toEqual([1, 2]);
    expect(renderProgressTable(state, T0)).toContain(
      '| WP02 | sh | 📅 Waiting for day 2 (2025-10-21 00:00:00 UTC) | 0/0 | 0% |',
    );
    expect(renderProgressTable(state, T0)).toContain(
      '| WP01 | sh | 📅 Waiting for day 1 (2025-10-20 00:00:00 UTC) |',
    );
    const dayTwo = Date.UTC(2025, 9, 21, 0, 0, 0);
    expect(renderProgressTable(state, dayTwo)).toContain('| WP02 | sh | ⏳ Pending |');
  });

  it('carries the day over the status JSON', () => {
    const json = sprintStatusJson(state);
    expect(json.packages[1]).toMatchObject({ day: 2, dayStartsAt: '2025-10-21T00:00:00.000Z' });
    const out: string[] = [];
    const view = createLiveView({ out: (text) => out.push(text), err: () => {}, isTTY: false });
    jest.useFakeTimers({ now: T0 });
    try {
      view.update(parseStatusJson(JSON.parse(JSON.stringify(json))));
    } finally {
      jest.useRealTimers();
    }
    expect(out.find((line) => line.includes(' WP02 '))).toContain(
      'WP02 📅 Waiting for day 2 (2025-10-21 00:00:00 UTC) (sh)',
    );
  });
});
