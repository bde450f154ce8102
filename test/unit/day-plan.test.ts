import fc from 'fast-check';
import { dayStartsAt, isCalendarDate, planDays, workingDate } from '../../src/domain/day-plan';
import type { DayPlanPackage } from '../../src/domain/day-plan';
import { planJson, planSprint } from '../../src/domain/plan';
import { renderPlan } from '../../src/domain/render-plan';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';

const pkg = (
  id: string,
  points: number,
  dependsOn: string[] = [],
  priority: DayPlanPackage['priority'] = 'P1',
): DayPlanPackage => ({ id, points, dependsOn, priority });

describe('planDays', () => {
  it('fills days up to the capacity, dependencies first', () => {
    const plan = planDays(
      [
        pkg('WP01', 4),
        pkg('WP02', 3, ['WP01']),
        pkg('WP03', 4, ['WP01']),
        pkg('WP04', 3, ['WP02']),
      ],
      { count: 3 },
      7,
    );
    expect(plan.days.map((day) => [day.packages, day.points])).toEqual([
      [['WP01', 'WP02'], 7],
      [['WP03', 'WP04'], 7],
      [[], 0],
    ]);
    expect(plan.dayOf).toEqual({ WP01: 1, WP02: 1, WP03: 2, WP04: 2 });
    expect(plan.unplaced).toEqual([]);
  });

  it('places higher priorities first when packages compete for a day', () => {
    const plan = planDays(
      [pkg('WP01', 5, [], 'P2'), pkg('WP02', 5, [], 'P0'), pkg('WP03', 5, [], 'P1')],
      { count: 2 },
      5,
    );
    expect(plan.dayOf).toEqual({ WP02: 1, WP03: 2 });
    expect(plan.unplaced).toEqual([
      { id: 'WP01', reason: 'no day from day 1 to day 2 has room for 5 points' },
    ]);
  });

  it('gives a package bigger than the capacity a day of its own, flagged, and drops what depends on the unplaced', () => {
    const plan = planDays(
      [
        pkg('WP01', 9),
        pkg('WP02', 2, ['WP01']),
        pkg('WP03', 9, ['WP02']),
        pkg('WP04', 1, ['WP03']),
      ],
      { count: 2 },
      7,
    );
    expect(plan.days[0]).toMatchObject({ packages: ['WP01'], points: 9, overCapacity: true });
    expect(plan.days[1]).toMatchObject({ packages: ['WP02'], points: 2, overCapacity: false });
    expect(plan.unplaced).toEqual([
      { id: 'WP03', reason: 'no day from day 2 to day 2 has room for 9 points' },
      { id: 'WP04', reason: 'depends on WP03, which did not fit' },
    ]);
  });

  it('spreads the points evenly when no capacity is given', () => {
    const plan = planDays([pkg('A', 2), pkg('B', 2), pkg('C', 2), pkg('D', 2)], { count: 2 });
    expect(plan.capacity).toBe(4);
    expect(plan.days.map((day) => day.packages)).toEqual([
      ['A', 'B'],
      ['C', 'D'],
    ]);
  });

  it('dates the days on working days from the start date', () => {
    const plan = planDays(
      [pkg('A', 7), pkg('B', 7), pkg('C', 7), pkg('D', 7), pkg('E', 7), pkg('F', 7)],
      { count: 6, start: '2025-01-13' },
      7,
    );
    expect(plan.days.map((day) => day.date)).toEqual([
      '2025-01-13',
      '2025-01-14',
      '2025-01-15',
      '2025-01-16',
      '2025-01-17',
      '2025-01-20',
    ]);
  });

  it('is deterministic and never breaks a dependency or, beyond single big packages, the capacity', () => {
    const graph = fc
      .array(
        fc.record({
          points: fc.integer({ min: 0, max: 9 }),
          deps: fc.array(fc.nat(), { maxLength: 3 }),
          priority: fc.constantFrom('P0', 'P1', 'P2'),
        }),
        { minLength: 1, maxLength: 40 },
      )
      .map((rows) =>
        rows.map((row, index): DayPlanPackage => ({
          id: `WP${String(index + 1).padStart(2, '0')}`,
          points: row.points,
          priority: row.priority as DayPlanPackage['priority'],
          dependsOn: index
            ? [...new Set(row.deps.map((dep) => `WP${String((dep % index) + 1).padStart(2, '0')}`))]
            : [],
        })),
      );
    fc.assert(
      fc.property(
        graph,
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 12 }),
        (packages, count, capacity) => {
          const plan = planDays(packages, { count }, capacity);
          const points = new Map(packages.map((wp) => [wp.id, wp.points ?? 0]));
          expect(planDays([...packages].reverse(), { count }, capacity)).toEqual(plan);
          for (const wp of packages) {
            const day = plan.dayOf[wp.id];
            const placed = day !== undefined;
            expect(placed).toBe(!plan.unplaced.some((entry) => entry.id === wp.id));
            if (!placed) continue;
            for (const dep of wp.dependsOn) expect(plan.dayOf[dep]).toBeLessThanOrEqual(day);
          }
          for (const day of plan.days) {
            if (day.points > capacity) {
              const weighed = day.packages.filter((id) => (points.get(id) ?? 0) > 0);
              expect(weighed).toHaveLength(1);
            }
            expect(day.overCapacity).toBe(day.points > capacity);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('days and dates', () => {
  it('skips weekends, also when the start is on one', () => {
    expect(workingDate('2025-01-17', 1)).toBe('2025-01-20');
    expect(workingDate('2025-01-18', 0)).toBe('2025-01-20');
    expect(workingDate('2025-01-13', 11)).toBe('2025-01-28');
  });

  it('starts relative days at multiples of the day length', () => {
    expect(dayStartsAt({ count: 3, length: '2s' }, 3, 1_000)).toBe(5_000);
    expect(dayStartsAt({ count: 3 }, 2, 0)).toBe(86_400_000);
    expect(dayStartsAt({ count: 3, start: '2025-01-17' }, 2, 0)).toBe(Date.UTC(2025, 0, 20));
  });

  it('knows a calendar date', () => {
    expect(isCalendarDate('2025-01-13')).toBe(true);
    expect(isCalendarDate('2025-02-30')).toBe(false);
    expect(isCalendarDate('13.01.2025')).toBe(false);
  });
});

describe('days in the sprint file and the plan', () => {
  const file = (extra: Record<string, unknown>) => ({
    id: 'sprint-4',
    repo: '/repo',
    packages: [
      { id: 'WP01', title: 'Imports', run: 'true', points: 4, priority: 'P0' },
      { id: 'WP02', title: 'Types', run: 'true', points: 4, priority: 'P0' },
      { id: 'WP03', title: 'Tests', run: 'true', points: 3, dependsOn: ['WP01'] },
      { id: 'WP04', title: 'Runner', run: 'true', points: 9, priority: 'P2' },
    ],
    ...extra,
  });

  it('prints the day plan with dates and warns about days over capacity and what does not fit', () => {
    const checked = checkSprintSpec(file({ days: { count: 2, start: '2025-01-17' }, capacity: 7 }));
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const plan = planSprint(checked.spec);
    expect(renderPlan(plan)).toContain(
      [
        'Days (capacity 7 points a day)',
        '  Day 1 2025-01-17  WP01 + WP03  7 points',
        '  Day 2 2025-01-20  WP02  4 points',
        '  Does not fit: WP04',
      ].join('\n'),
    );
    expect(plan.warnings).toContain(
      "WP04 does not fit in the sprint's days: no day from day 1 to day 2 has room for 9 points",
    );
    expect(planJson(plan).dayPlan?.dayOf).toEqual({ WP01: 1, WP03: 1, WP02: 2 });
    // WP03 (day 1, wave 2) waits for WP02 (day 2, wave 1) under waves: the plan says so.
    expect(renderPlan(plan)).toContain('With strategy waves a package also waits');
    const eager = checkSprintSpec(
      file({ days: { count: 2, start: '2025-01-17' }, capacity: 7, strategy: 'eager' }),
    );
    if (!eager.ok) throw new Error(JSON.stringify(eager.problems));
    expect(renderPlan(planSprint(eager.spec))).not.toContain('With strategy waves');
  });

  it('takes a plain number of days, and rejects what makes no sense with its path', () => {
    const plain = checkSprintSpec(file({ days: 3 }));
    expect(plain.ok && plain.spec.days).toEqual({ count: 3 });
    const problems = (extra: Record<string, unknown>) => {
      const checked = checkSprintSpec(file(extra));
      return checked.ok ? [] : checked.problems.map((problem) => problem.path);
    };
    expect(problems({ capacity: 5 })).toEqual(['capacity']);
    expect(problems({ days: { count: 3, start: '2025-02-30' } })).toEqual(['days.start']);
    expect(problems({ days: 0 })).toEqual(['days']);
    expect(problems({ days: 3, capacity: -1 })).toEqual(['capacity']);
  });
});
