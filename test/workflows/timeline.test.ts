import { readQueue } from '../../src/activities/events';
import { packageWorkflowId } from '../../src/domain/ids';
import { renderProgressTable, renderSummary } from '../../src/domain/render-progress';
import { pkg, runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(60_000);

describe('multi-day sprints and the deadline protocol', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('starts no package before its day, and defers what does not fit in the days', async () => {
    const spec = sprint(harness.sandbox.repo, {
      strategy: 'eager',
      days: { count: 3, length: '2s' },
      capacity: 2,
      packages: [
        { id: 'WP01', title: 'Day one', run: 'echo 1 > one.txt', points: 2, priority: 'P0' },
        { id: 'WP02', title: 'Day two', run: 'echo 2 > two.txt', points: 2, priority: 'P0' },
        {
          id: 'WP03',
          title: 'Day three',
          run: 'echo 3 > three.txt',
          points: 1,
          dependsOn: ['WP02'],
        },
        { id: 'WP04', title: 'Too much', run: 'echo 4 > four.txt', points: 2, priority: 'P2' },
      ],
    });
    const { state, handle } = await runToEnd(harness, { spec });
    expect(state.status).toBe('completed');
    // Workflow time: however slow the machine, a package does not start before its day.
    const startOf = (id: string) => (pkg(state, id).startedAt as number) - state.startedAt;
    expect(startOf('WP02')).toBeGreaterThanOrEqual(2_000);
    expect(startOf('WP03')).toBeGreaterThanOrEqual(4_000);
    expect(pkg(state, 'WP04')).toMatchObject({ status: 'deferred' });
    expect(pkg(state, 'WP04').note).toContain("does not fit in the sprint's days");
    expect(state.integration.merged).toEqual(['WP01', 'WP02', 'WP03']);
    // Day one's package starts at once: before any timer of the sprint fires.
    const history = (await handle.fetchHistory()).events ?? [];
    const wp01 = history.findIndex(
      (event) =>
        event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ===
        packageWorkflowId(spec.id, 'WP01'),
    );
    expect(wp01).toBeGreaterThan(0);
    expect(history.slice(0, wp01).filter((event) => event.timerFiredEventAttributes)).toEqual([]);
  });

  it('defers lower priorities when the projected finish passes the deadline, never a P0 nor what one needs', async () => {
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 1,
      deadline: '3s',
      packages: [
        { id: 'WP01', title: 'Core', run: 'echo core > core.txt', priority: 'P0', estimate: '10s' },
        {
          id: 'WP02',
          title: 'Nice to have',
          run: 'echo nice > nice.txt',
          priority: 'P2',
          estimate: '1m',
        },
        {
          id: 'WP03',
          title: 'Needed by core',
          run: 'echo need > need.txt',
          priority: 'P2',
          estimate: '1s',
        },
        {
          id: 'WP04',
          title: 'Core on top',
          run: 'echo top > top.txt',
          priority: 'P0',
          dependsOn: ['WP03'],
          estimate: '1s',
        },
      ],
    });
    const { state } = await runToEnd(harness, { spec });
    expect(state.status).toBe('completed');
    expect(state.packages.map((wp) => `${wp.id}:${wp.status}`)).toEqual([
      'WP01:completed',
      'WP02:deferred',
      'WP03:completed',
      'WP04:completed',
    ]);
    expect(pkg(state, 'WP02').note).toMatch(
      /^deferred: the projected finish \(.+\) passes the deadline \(.+\)$/,
    );
    expect(renderProgressTable(state)).toContain('- WP02: deferred: the projected finish');
    expect(renderSummary(state)).toMatch(
      /- WP02: not merged \(⏸️ Deferred: the projected finish .* passes the deadline/,
    );
    const events = (await readQueue(harness.config.home)).filter(
      (e) => e.sprint_id === spec.id && e.wp_id === 'WP02',
    );
    expect(events.map((e) => `${String(e.payload.from)}→${String(e.payload.to)}`)).toContain(
      'pending→deferred',
    );
  });

  it('runs everything when the projection stays within the deadline', async () => {
    const spec = sprint(harness.sandbox.repo, {
      deadline: '1h',
      packages: [
        { id: 'WP01', title: 'Core', run: 'true', priority: 'P0', estimate: '1s' },
        { id: 'WP02', title: 'Nice', run: 'true', priority: 'P2', estimate: '1s' },
      ],
    });
    const { state } = await runToEnd(harness, { spec });
    expect(state.packages.map((wp) => wp.status)).toEqual(['completed', 'completed']);
  });
});
