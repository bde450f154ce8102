import { checkSchedule } from '../../src/schemas/schedule';
import { scheduledSprintId, scheduledTimeOf } from '../../src/domain/ids';

const sprintFile = {
  id: 'nightly',
  repo: '/repo',
  packages: [{ id: 'WP01', title: 'One', run: 'true' }],
};

describe('checkSchedule', () => {
  it('accepts a cron schedule with a time zone and fills the defaults', () => {
    const checked = checkSchedule({
      id: 'nightly',
      cron: '0 2 * * 1-5',
      timeZone: 'Europe/Berlin',
      sprint: sprintFile,
    });
    expect(checked).toMatchObject({
      ok: true,
      request: {
        id: 'nightly',
        cron: ['0 2 * * 1-5'],
        timeZone: 'Europe/Berlin',
        overlap: 'skip',
        paused: false,
        action: { kind: 'sprint' },
      },
    });
  });

  it('names every problem with its path before anything is created', () => {
    const checked = checkSchedule({
      id: 'has space',
      cron: ['0 2 * * *', '61 * * * *', '* * *'],
      timeZone: 'Mars/Olympus_Mons',
      sprint: {
        ...sprintFile,
        packages: [{ id: 'WP01', title: 'One', run: 'true', dependsOn: ['WP09'] }],
      },
    });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems.map((problem) => problem.path)).toEqual([
      'id',
      'timeZone',
      'cron[1]',
      'cron[2]',
      'sprint.packages[0].dependsOn[0]',
    ]);
    expect(checked.problems[1]?.message).toBe(
      '"Mars/Olympus_Mons" is not a time zone: use an IANA name such as UTC or Europe/Berlin',
    );
    expect(checked.problems[2]?.message).toMatch(
      /^"61 \* \* \* \*" is not a cron expression: .*59/,
    );
    expect(checked.problems[3]?.message).toBe(
      '"* * *" is not a cron expression: it needs 5 fields (minute hour day month weekday), it has 3',
    );
  });

  it('checks the sprint file it runs, with paths under sprint', () => {
    const checked = checkSchedule({
      id: 'nightly',
      every: '1d',
      sprint: {
        ...sprintFile,
        packages: [{ id: 'WP01', title: 'One', run: 'true', dependsOn: ['WP09'] }],
      },
    });
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problems[0]?.path).toBe('sprint.packages[0].dependsOn[0]');
  });

  it('needs exactly one of cron and every, and one of sprint and standup', () => {
    const problems = (raw: Record<string, unknown>) => {
      const checked = checkSchedule(raw);
      return checked.ok
        ? []
        : checked.problems.map((problem) => `${problem.path}: ${problem.message}`);
    };
    expect(problems({ id: 'a', sprint: sprintFile })).toEqual([
      'cron: give a cron expression or an interval (`every`)',
    ]);
    expect(problems({ id: 'a', cron: '@daily', every: '1h', sprint: sprintFile })).toEqual([
      'every: give either cron or every, not both',
    ]);
    expect(problems({ id: 'a', every: 'soon', standup: { sprint: 's1' } })).toEqual([
      'every: is not a duration, like 30m, 1h or 1d',
    ]);
    expect(problems({ id: 'a', every: '1h' })).toEqual([
      'sprint: give either a sprint file (`sprint`) or a stand-up (`standup.sprint`), not both',
    ]);
    expect(
      problems({ id: 'a', every: '1h', overlap: 'sometimes', standup: { sprint: 's1' } })[0],
    ).toMatch(/^overlap: /);
    expect(problems({ id: 'x'.repeat(48), every: '1h', standup: { sprint: 's1' } })).toEqual([
      "id: is longer than 47 characters (each run's sprint id adds the time)",
    ]);
  });
});

describe('scheduled sprint ids', () => {
  it('are the schedule id and the scheduled time, safe for branch names', () => {
    const at = Date.UTC(2026, 10, 21, 2, 0, 0);
    expect(scheduledSprintId('nightly', at)).toBe('nightly-20261121T020000Z');
    expect(scheduledTimeOf('nightly-2026-11-21T02:00:00Z', 'nightly')).toBe(at);
    expect(scheduledTimeOf('other-2026-11-21T02:00:00Z', 'nightly')).toBeUndefined();
    expect(scheduledTimeOf('nightly', 'nightly')).toBeUndefined();
  });
});
