import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { readQueue } from '../../src/activities/events';
import type { EventEnvelope } from '../../src/domain/events';
import { checkStream, startEventReceiver } from '../support/event-receiver';
import type { EventReceiver } from '../support/event-receiver';
import { pkg, runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(120_000);

const SYNC_TOKEN = 'sync_secret_token_42';

function statusChanges(events: EventEnvelope[], wp: string): string[] {
  return [...events]
    .sort((a, b) => a.sequence - b.sequence)
    .filter((e) => e.event_type === 'WPStatusChanged' && e.wp_id === wp)
    .map((e) => `${String(e.payload.from)}→${String(e.payload.to)}#${e.attempt}`);
}

describe('identity-tagged events', () => {
  it('without login: every event carries the project identity and stays in the local queue', async () => {
    const harness = await startHarness();
    try {
      const spec = sprint(harness.sandbox.repo, {
        packages: [
          { id: 'WP01', title: 'a', run: 'echo a > a.txt' },
          { id: 'WP02', title: 'b', run: 'echo b > b.txt', dependsOn: ['WP01'] },
        ],
      });
      const { state } = await runToEnd(harness, { spec });
      expect(state.status).toBe('completed');
      const config = parse(
        await readFile(path.join(harness.sandbox.repo, '.sprintwave', 'config.yaml'), 'utf8'),
      );
      const events = (await readQueue(harness.config.home)).filter((e) => e.sprint_id === spec.id);
      expect(events.length).toBeGreaterThan(5);
      for (const event of events) {
        expect(event).toMatchObject({
          project_uuid: config.project.uuid,
          project_slug: config.project.slug,
          team_slug: 'local',
        });
        expect(event.node_id).toMatch(/\S/);
      }
      expect(checkStream(events)).toEqual({ duplicates: 0, gaps: [] });
      expect(events[0]?.event_type).toBe('SprintStarted');
      expect(events.at(-1)?.event_type).toBe('SprintCompleted');
      expect(statusChanges(events, 'WP01')).toEqual([
        'pending→in_progress#1',
        'in_progress→completed#1',
      ]);
      // `.sprintwave/` never lands in a package's commit.
      expect(pkg(state, 'WP01').filesChanged).toBe(1);
    } finally {
      await harness.close();
    }
  });

  it('a read-only checkout gets an in-memory identity and a warning in the sprint state', async () => {
    const harness = await startHarness();
    try {
      // A file where the folder should be: the config cannot be written, whoever runs the test.
      await writeFile(path.join(harness.sandbox.repo, '.sprintwave'), 'not a folder');
      await writeFile(path.join(harness.sandbox.repo, '.git', 'info', 'exclude'), '.sprintwave\n');
      const spec = sprint(harness.sandbox.repo, {
        packages: [{ id: 'WP01', title: 'a', run: 'echo a > a.txt' }],
      });
      const { state } = await runToEnd(harness, { spec });
      expect(state.status).toBe('completed');
      expect(state.warnings).toEqual([expect.stringContaining('read-only')]);
      const events = (await readQueue(harness.config.home)).filter((e) => e.sprint_id === spec.id);
      expect(new Set(events.map((e) => e.project_uuid)).size).toBe(1);
      expect(checkStream(events)).toEqual({ duplicates: 0, gaps: [] });
    } finally {
      await harness.close();
    }
  });

  describe('logged in, with a backend that fails and recovers', () => {
    let receiver: EventReceiver;
    let harness: Harness;

    beforeAll(async () => {
      receiver = await startEventReceiver(SYNC_TOKEN);
      harness = await startHarness({
        SPRINTWAVE_EVENTS_URL: receiver.url,
        SPRINTWAVE_SYNC_TOKEN: SYNC_TOKEN,
        SPRINTWAVE_TEAM_SLUG: 'acme',
      });
    });

    afterAll(async () => {
      await harness.close();
      await receiver.close();
    });

    it('delivers each event once, gapless across a retried package, with its attempt', async () => {
      const fixed = path.join(harness.sandbox.dir, 'fixed');
      const spec = sprint(harness.sandbox.repo, {
        packages: [
          { id: 'WP01', title: 'flaky', run: `test -f ${fixed} && echo a > a.txt` },
          { id: 'WP02', title: 'after', run: 'echo b > b.txt', dependsOn: ['WP01'] },
        ],
      });
      receiver.failNext(3);
      const first = await runToEnd(harness, { spec });
      expect(first.state.status).toBe('failed');
      await writeFile(fixed, '');
      const second = await runToEnd(harness, { spec, resume: first.state, retry: ['WP01'] });
      expect(second.state.status).toBe('completed');

      // Events the backend refused near a run's end go to an outbox workflow: let a worker deliver them.
      const worker = await harness.worker();
      await worker.runUntil(async () => {
        const deadline = Date.now() + 30_000;
        while (
          receiver.received.filter(
            (e) => e.sprint_id === spec.id && e.event_type === 'SprintCompleted',
          ).length < 2
        ) {
          if (Date.now() > deadline) throw new Error('the outbox did not deliver the last events');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      const events = receiver.received.filter((e) => e.sprint_id === spec.id);
      expect(checkStream(events)).toEqual({ duplicates: 0, gaps: [] });
      expect(events.every((e) => e.team_slug === 'acme')).toBe(true);
      expect(statusChanges(events, 'WP01')).toEqual([
        'pending→in_progress#1',
        'in_progress→failed#1',
        'failed→pending#2',
        'pending→in_progress#2',
        'in_progress→completed#2',
      ]);
      expect(statusChanges(events, 'WP02')).toEqual([
        'pending→blocked#1',
        'blocked→pending#1',
        'pending→in_progress#1',
        'in_progress→completed#1',
      ]);
      const queued = (await readQueue(harness.config.home)).filter((e) => e.sprint_id === spec.id);
      expect(queued.map((e) => e.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
      expect(JSON.stringify(receiver.received)).not.toContain(SYNC_TOKEN);
    });

    it('keeps events local when the project says sync.auto_start: false', async () => {
      const repo = harness.sandbox.repo;
      const configFile = path.join(repo, '.sprintwave', 'config.yaml');
      const before = await readFile(configFile, 'utf8');
      await writeFile(configFile, `${before}sync:\n  auto_start: false\n`);
      try {
        const spec = sprint(repo, {
          packages: [{ id: 'WP01', title: 'a', run: 'echo a > local.txt' }],
        });
        const { state } = await runToEnd(harness, { spec });
        expect(state.status).toBe('completed');
        expect(receiver.received.filter((e) => e.sprint_id === spec.id)).toEqual([]);
        expect(
          (await readQueue(harness.config.home)).filter((e) => e.sprint_id === spec.id).length,
        ).toBeGreaterThan(3);
      } finally {
        await writeFile(configFile, before);
      }
    });
  });
});
