import type { WorkflowHandle } from '@temporalio/client';
import { readSprint } from '../../src/service/sprints';
import { pkg, sprint, startHarness, startSprint } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';
import { eventsBeyondTasks } from '../support/temporal';

jest.setTimeout(120_000);

/** A package that says how far it is `lines` times, `gapMs` apart, then writes its file. */
function chatty(lines: number, gapMs: number): string {
  return [
    `i=0; while [ $i -lt ${lines} ]; do`,
    `  i=$((i+1)); echo "::progress $i/${lines} step $i"; sleep ${gapMs / 1000};`,
    'done; echo done > out.txt',
  ].join('\n');
}

async function historyOf(handle: WorkflowHandle): Promise<{ events: number; signals: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const signals = events.filter((event) => event.workflowExecutionSignaledEventAttributes).length;
  return { events: eventsBeyondTasks(events), signals };
}

describe("a package's progress and its sprint's history", () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('does not grow the sprint with progress: readers see it live, the history holds status changes', async () => {
    const worker = await harness.worker();
    await worker.runUntil(async () => {
      // The same sprint twice: once silent, once saying where it is 120 times.
      const quiet = await startSprint(harness, {
        spec: sprint(harness.sandbox.repo, {
          packages: [{ id: 'WP01', title: 'Quiet', run: 'sleep 3; echo done > out.txt' }],
        }),
      });
      const loudSpec = sprint(harness.sandbox.repo, {
        packages: [{ id: 'WP01', title: 'Loud', run: chatty(120, 25) }],
      });
      const loud = await startSprint(harness, { spec: loudSpec });

      // While it runs, a reader sees how far it is, from the package itself.
      const seen: number[] = [];
      for (;;) {
        const state = await readSprint(harness.temporal.client, loudSpec.id);
        const wp = pkg(state, 'WP01');
        if (wp.status === 'in_progress' && wp.filesTotal === 120) seen.push(wp.filesCompleted);
        if (state.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.some((done) => done > 0 && done < 120)).toBe(true);

      const loudState = await loud.result();
      expect(loudState.status).toBe('completed');
      expect(pkg(loudState, 'WP01').note).toBe('step 120');
      expect((await quiet.result()).status).toBe('completed');
      // The loud sprint's history is the quiet one's: no signal or event per progress line (the
      // only signal is the worktree's). Workflow tasks are not counted: a loaded machine adds some.
      const [loudHistory, quietHistory] = [await historyOf(loud), await historyOf(quiet)];
      expect(loudHistory.signals).toBe(quietHistory.signals);
      expect(Math.abs(loudHistory.events - quietHistory.events)).toBeLessThanOrEqual(3);
    });
  });
});
