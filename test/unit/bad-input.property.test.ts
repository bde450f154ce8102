import fc from 'fast-check';
import { planJson, planSprint } from '../../src/domain/plan';
import type { SprintPlan } from '../../src/domain/plan';
import { initialProgress } from '../../src/domain/progress-reducer';
import { formatTime } from '../../src/domain/render-progress';
import { renderPlan } from '../../src/domain/render-plan';
import type { SpecProblem, SprintSpec } from '../../src/domain/spec';
import { deferralsAt, nextWakeAt, sprintTimeline } from '../../src/domain/timeline';
import { checkSchedule } from '../../src/schemas/schedule';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { MAX_NESTING, parseSprintText } from '../../src/schemas/sprint-text';
import {
  PROTO_KEYS,
  absurdNumber,
  aliasBomb,
  mutatedText,
  sprintShaped,
  validDocuments,
  withCycles,
  yamlish,
} from '../support/bad-sprints';

/**
 * Whatever a sprint file holds, the parser, the schema and the planner answer: either a plan,
 * or problems that each name a path and say what is wrong. Nothing throws.
 */

jest.setTimeout(120_000);

const counts = { cases: 0, rejected: 0, planned: 0 };
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

function assertNamed(problems: readonly SpecProblem[]): void {
  if (problems.length === 0) throw new Error('a rejection without problems');
  for (const problem of problems) {
    const named =
      typeof problem.path === 'string' &&
      problem.path.trim() !== '' &&
      typeof problem.message === 'string' &&
      problem.message.trim() !== '';
    if (!named) throw new Error(`a problem without path or message: ${JSON.stringify(problem)}`);
  }
}

/** Every in-scope package in exactly one wave, after all of its in-scope dependencies. */
function assertPlanCovers(plan: SprintPlan, spec: SprintSpec): void {
  const waveOf = new Map<string, number>();
  plan.waves.forEach((wave, i) => wave.forEach((id) => waveOf.set(id, i)));
  const placed = plan.waves.reduce((sum, wave) => sum + wave.length, 0);
  if (placed !== waveOf.size || placed !== plan.packages) throw new Error('a package placed twice');
  if (placed + plan.deferred.length !== spec.packages.length) {
    throw new Error(
      `${spec.packages.length} packages, ${placed} placed, ${plan.deferred.length} deferred`,
    );
  }
  for (const wp of spec.packages) {
    const wave = waveOf.get(wp.id);
    if (wave === undefined) continue;
    for (const dep of wp.dependsOn) {
      if ((waveOf.get(dep) ?? -1) >= wave) throw new Error(`${wp.id} runs before ${dep}`);
    }
  }
}

function throughSchemaAndPlanner(raw: unknown): 'rejected' | 'planned' {
  counts.cases++;
  const checked = checkSprintSpec(raw);
  if (!checked.ok) {
    assertNamed(checked.problems);
    counts.rejected++;
    return 'rejected';
  }
  const plan = planSprint(checked.spec);
  assertPlanCovers(plan, checked.spec);
  JSON.stringify(planJson(plan));
  renderPlan(plan);
  counts.planned++;
  return 'planned';
}

function throughText(text: string): 'rejected' | 'planned' {
  const parsed = parseSprintText(text, 'sprint.yaml');
  if (parsed.ok) return throughSchemaAndPlanner(parsed.value);
  counts.cases++;
  counts.rejected++;
  assertNamed(parsed.problems);
  return 'rejected';
}

const jsonSafe = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? value.toString() : value;

/** Runs a property and checks that it produced `atLeast` plans, so the planner was reached. */
function outcomes<T>(
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  run: (value: T) => 'rejected' | 'planned',
): { rejected: number; planned: number } {
  const seen = { rejected: 0, planned: 0 };
  fc.assert(
    fc.property(arbitrary, (value) => {
      seen[run(value)]++;
    }),
    { numRuns },
  );
  return seen;
}

describe('bad sprint files: the parser, the schema and the planner never throw', () => {
  it('random text: any characters, YAML punctuation, unicode', () => {
    const seen = outcomes(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ unit: yamlish, maxLength: 300 }),
      ),
      3_000,
      throughText,
    );
    expect(seen.rejected).toBe(3_000);
  });

  it('documents mutated from valid sprint files: tabs, anchors, tags, duplicate keys, cut lines', () => {
    const seen = outcomes(mutatedText, 2_500, throughText);
    // Some mutations keep the file valid: those go on to the planner.
    expect(seen.planned).toBeGreaterThan(20);
    expect(seen.rejected).toBeGreaterThan(1_000);
  });

  it('alias bombs and self-referencing aliases are refused, not expanded', () => {
    outcomes(aliasBomb, 300, (bomb) => {
      const outcome = throughText(bomb.text);
      if (bomb.expandsTo > 10_000) expect(outcome).toBe('rejected');
      return outcome;
    });
  });

  it('any JavaScript value: wrong types, null prototypes, maps, bigints, sparse arrays', () => {
    const anything = fc.anything({
      key: fc.oneof(fc.constantFrom(...PROTO_KEYS, 'id', 'repo', 'packages'), fc.string()),
      maxDepth: 4,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withObjectString: true,
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withUnicodeString: true,
    });
    const seen = outcomes(anything, 1_500, throughSchemaAndPlanner);
    expect(seen.rejected).toBe(1_500);
  });

  it('any JSON text, through JSON.parse and through the YAML parser', () => {
    outcomes(fc.json({ maxDepth: 6 }), 1_000, (text) => {
      throughSchemaAndPlanner(JSON.parse(text));
      return throughText(text);
    });
  });

  it('sprint-shaped values with absurd fields: numbers, unicode, huge arrays, deep nesting, __proto__', () => {
    const seen = outcomes(sprintShaped, 2_500, throughSchemaAndPlanner);
    expect(seen.planned).toBeGreaterThan(50);
    expect(seen.rejected).toBeGreaterThan(500);
  });

  it('the same sprint-shaped values written as YAML text', () => {
    const seen = outcomes(
      sprintShaped.map((value) => JSON.stringify(value, jsonSafe) ?? 'null'),
      500,
      throughText,
    );
    expect(seen.planned).toBeGreaterThan(5);
  });

  it('object graphs with cycles', () => {
    outcomes(withCycles, 400, throughSchemaAndPlanner);
  });

  it('big inputs: deep nesting, huge arrays, long strings, long dependency chains', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { packages: deep };
    const chain = (length: number, loop: boolean) =>
      Array.from({ length }, (_, i) => ({
        id: `W${i}`,
        title: 't',
        run: 'true',
        dependsOn: i > 0 ? [`W${i - 1}`] : loop ? [`W${length - 1}`] : [],
      }));
    const base = { id: 'big', repo: '/tmp/repo' };
    const values: unknown[] = [
      deep,
      { ...base, packages: deep },
      { ...base, packages: Array.from({ length: 30_000 }, () => ({})) },
      {
        ...base,
        packages: [{ id: 'A', title: 't', run: 'x', dependsOn: Array(30_000).fill('A') }],
      },
      { ...base, title: 'x'.repeat(1_000_000), packages: chain(1, false) },
      { ...base, packages: chain(5_000, false) },
      { ...base, packages: chain(5_000, true) },
    ];
    const outcomesSeen = values.map(throughSchemaAndPlanner);
    expect(outcomesSeen).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'planned',
      'planned',
      'rejected',
    ]);
    expect(throughText(`${'['.repeat(50_000)}${']'.repeat(50_000)}`)).toBe('rejected');
    expect(throughText(`${'a:\n '.repeat(5_000)}b`)).toBe('rejected');
  });

  it('numbers no sprint means: NaN, infinities, huge, negative, fractional', () => {
    outcomes(
      fc.record({ concurrency: absurdNumber, points: absurdNumber, capacity: absurdNumber }),
      300,
      ({ concurrency, points, capacity }) => {
        const outcome = throughSchemaAndPlanner({
          id: 'n',
          repo: '/tmp/repo',
          concurrency,
          days: 3,
          capacity,
          packages: [{ id: 'A', title: 't', run: 'true', points }],
        });
        const sane = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
        if (
          !sane(concurrency, 1_000) ||
          !(points >= 0 && points <= 1_000 && Number.isInteger(points))
        ) {
          expect(outcome).toBe('rejected');
        }
        return outcome;
      },
    );
  });

  it('names what is wrong: a wrong type is not "required", a blank key shows, a huge loop is named', () => {
    const problems = (raw: unknown) => {
      const checked = checkSprintSpec(raw);
      return checked.ok ? [] : checked.problems;
    };
    const base = { id: 's', repo: '/tmp/repo', packages: [{ id: 'A', title: 't', run: 'x' }] };
    expect(problems({ ...base, id: 5 })).toEqual([
      { path: 'id', message: 'Invalid input: expected string, received number' },
    ]);
    expect(problems({ ...base, concurrency: NaN })[0]?.message).toMatch(/received NaN/);
    expect(problems({ ...base, packages: undefined })).toEqual([
      { path: 'packages', message: 'is required' },
    ]);
    expect(problems({ ...base, ' ': 1, '': 2 })).toEqual([
      { path: '[" "]', message: 'is not a known field' },
      { path: '[""]', message: 'is not a known field' },
    ]);
    const loop = Array.from({ length: 150_000 }, (_, i) => ({
      id: `W${i}`,
      title: 't',
      external: true,
      dependsOn: [`W${(i + 1) % 150_000}`],
    }));
    const [cycle] = problems({ ...base, packages: loop });
    expect(cycle?.path).toBe('packages[0].dependsOn');
    expect(cycle?.message).toMatch(/^W0 → W1 → W2 → .* is a dependency loop/);
    expect(throughText('a: [1, 2]\n? [x, y]\n: z\n')).toBe('rejected');
  });

  it('every valid document still plans (the fixtures of the properties above are sound)', () => {
    for (const text of validDocuments) expect(throughText(text)).toBe('planned');
  });

  it('left Object.prototype alone, and went through at least 10,000 cases', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(counts.cases).toBeGreaterThanOrEqual(10_000);
    expect(counts.planned).toBeGreaterThan(100);
  });
});

// ---- bounds: accepted at each one, refused just past it with the path named ----

const DAY_MS = 86_400_000;
/** Node's setTimeout stops at 2^31 - 1 ms; a timeout is kept to whole days below that. */
const NODE_TIMER_MAX = 24 * DAY_MS;
/** A protobuf Duration, the form of every Temporal timer and interval: 10,000 years. */
const TEMPORAL_MAX = 3_652_500 * DAY_MS;
const UNITS: Array<[string, number]> = [
  ['d', DAY_MS],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** `ms` written as a sprint file would: `3652500d`, `24d1ms`, `1h30m`. */
function durationText(ms: number): string {
  let left = ms;
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(left / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    left -= amount * size;
  }
  return parts.join('');
}

/** Up to a bound: the bound itself, just under it, and anything between. */
const upTo = (max: number) =>
  fc.oneof(fc.constant(max), fc.constant(max - 1), fc.integer({ min: 1, max })).map(durationText);
/** Past a bound: just past it, far past it, and past what a safe integer holds. */
const pastOf = (max: number) =>
  fc.oneof(
    fc.constant(durationText(max + 1)),
    fc.integer({ min: max + 1, max: 4 * max }).map(durationText),
    fc.bigInt({ min: 10n ** 16n, max: 10n ** 30n }).map((days) => `${days}d`),
  );

const pkg = { id: 'WP01', title: 't', run: 'true' };
const sprintBase = { id: 'bounds', repo: '/tmp/repo' };

interface Bound {
  path: string;
  max: number;
  sprint: (duration: string) => Record<string, unknown>;
}

const BOUNDS: Bound[] = [
  {
    path: 'packages[0].timeout',
    max: NODE_TIMER_MAX,
    sprint: (d) => ({ ...sprintBase, packages: [{ ...pkg, timeout: d }] }),
  },
  {
    path: 'packages[0].lease',
    max: TEMPORAL_MAX,
    sprint: (d) => ({
      ...sprintBase,
      packages: [{ id: 'WP01', title: 't', external: true, lease: d }],
    }),
  },
  {
    path: 'packages[0].estimate',
    max: TEMPORAL_MAX,
    sprint: (d) => ({ ...sprintBase, deadline: '8h', packages: [{ ...pkg, estimate: d }] }),
  },
  {
    path: 'deadline',
    max: TEMPORAL_MAX,
    sprint: (d) => ({ ...sprintBase, deadline: d, packages: [pkg] }),
  },
  {
    path: 'github.minInterval',
    max: TEMPORAL_MAX,
    sprint: (d) => ({
      ...sprintBase,
      github: { repo: 'acme/widgets', minInterval: d },
      packages: [pkg],
    }),
  },
  {
    path: 'days.length',
    max: TEMPORAL_MAX,
    sprint: (d) => ({ ...sprintBase, days: { count: 1, length: d }, packages: [pkg] }),
  },
  {
    // Day 366 begins 365 lengths after the start: that wait is the timer.
    path: 'days.length',
    max: Math.floor(TEMPORAL_MAX / 365),
    sprint: (d) => ({ ...sprintBase, days: { count: 366, length: d }, packages: [pkg] }),
  },
];

/** Every time a running sprint computes from this spec is a date, every wait within a timer. */
function assertTimesRun(spec: SprintSpec, now: number): void {
  const plan = planSprint(spec);
  renderPlan(plan);
  const timeline = sprintTimeline(spec, plan, now);
  const state = initialProgress(spec, plan, now, 'owner-1');
  for (const at of [now, now + 1, timeline.deadlineAt ?? now]) {
    for (const deferral of deferralsAt(timeline, state, at)) expect(deferral.reason).toBeTruthy();
    const wake = nextWakeAt(timeline, state, at);
    if (wake !== undefined) {
      formatTime(wake);
      expect(wake - at).toBeLessThanOrEqual(TEMPORAL_MAX);
    }
  }
  if (timeline.deadlineAt !== undefined) formatTime(timeline.deadlineAt);
  for (const start of Object.values(timeline.dayStarts)) formatTime(start);
}

function problemsOf(raw: unknown): SpecProblem[] {
  const checked = checkSprintSpec(raw);
  return checked.ok ? [] : checked.problems;
}

describe('bounds: accepted at each one, refused just past it with the path named', () => {
  // Any time a sprint may start, up to the last date a sprint file can name.
  const now = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(9999, 11, 31) });

  it.each(BOUNDS.map((bound) => [bound.path, durationText(bound.max), bound] as const))(
    '%s: at most %s',
    (_path, _max, bound) => {
      fc.assert(
        fc.property(upTo(bound.max), now, (duration, at) => {
          const checked = checkSprintSpec(bound.sprint(duration));
          if (!checked.ok)
            throw new Error(`${duration} refused: ${JSON.stringify(checked.problems)}`);
          counts.cases++;
          assertTimesRun(checked.spec, at);
        }),
        { numRuns: 150 },
      );
      fc.assert(
        fc.property(pastOf(bound.max), (duration) => {
          counts.cases++;
          const problems = problemsOf(bound.sprint(duration));
          expect(problems).toHaveLength(1);
          expect(problems[0]?.path).toBe(bound.path);
          expect(problems[0]?.message).toMatch(/at most|more than/);
        }),
        { numRuns: 150 },
      );
    },
  );

  it('the estimates together: the projected finish adds them up', () => {
    const estimate = fc.integer({ min: 1, max: TEMPORAL_MAX });
    fc.assert(
      fc.property(estimate, estimate, now, (a, b, at) => {
        counts.cases++;
        const raw = {
          ...sprintBase,
          deadline: '1h',
          packages: [
            { ...pkg, estimate: durationText(a) },
            { ...pkg, id: 'WP02', dependsOn: ['WP01'], estimate: durationText(b) },
          ],
        };
        const checked = checkSprintSpec(raw);
        if (a + b <= TEMPORAL_MAX) {
          expect(checked.ok).toBe(true);
          if (checked.ok) assertTimesRun(checked.spec, at);
        } else {
          expect(checked.ok ? [] : checked.problems.map((p) => p.path)).toEqual([
            'packages[1].estimate',
          ]);
        }
      }),
      { numRuns: 300 },
    );
  });

  /** The `index`-th working day from `start`, counted without the code under test. */
  function lastWorkingDay(start: number, count: number): number {
    const weekend = (time: number) => [0, 6].includes(new Date(time).getUTCDay());
    let time = start;
    while (weekend(time)) time += DAY_MS;
    for (let left = count - 1; left > 0;) {
      time += DAY_MS;
      if (!weekend(time)) left--;
    }
    return time;
  }

  it('days.start: the last working day is at most 9999-12-31', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(9997, 0, 1) / DAY_MS, max: Date.UTC(9999, 11, 31) / DAY_MS }),
        fc.integer({ min: 1, max: 366 }),
        (day, count) => {
          counts.cases++;
          const startAt = day * DAY_MS;
          const days = { count, start: new Date(startAt).toISOString().slice(0, 10) };
          const raw = { ...sprintBase, days, packages: [pkg] };
          if (lastWorkingDay(startAt, count) <= Date.UTC(9999, 11, 31)) {
            const checked = checkSprintSpec(raw);
            if (!checked.ok)
              throw new Error(`${JSON.stringify(days)}: ${checked.problems[0]?.message}`);
            assertTimesRun(checked.spec, Date.UTC(2026, 0, 1));
          } else {
            expect(problemsOf(raw).map((p) => p.path)).toEqual(['days.start']);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('schedules: every is at least 1s and at most 3652500d', () => {
    const schedule = (every: string) =>
      checkSchedule({ id: 'nightly', every, standup: { sprint: 's1' } });
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: TEMPORAL_MAX }).map(durationText), (every) => {
        expect(schedule(every).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(schedule('3652500d').ok).toBe(true);
    fc.assert(
      fc.property(fc.oneof(pastOf(TEMPORAL_MAX), upTo(999)), (every) => {
        const checked = schedule(every);
        expect(checked.ok ? [] : checked.problems.map((p) => p.path)).toEqual(['every']);
      }),
      { numRuns: 200 },
    );
  });

  it(`YAML nests at most ${MAX_NESTING} levels; deeper is named, never a stack overflow`, () => {
    const shapes: Array<(depth: number) => string> = [
      (depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`,
      (depth) => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`,
      (depth) => `${'- '.repeat(depth)}x`,
      (depth) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1',
    ];
    const shape = fc.constantFrom(...shapes);
    fc.assert(
      fc.property(
        shape,
        fc.oneof(fc.constant(MAX_NESTING), fc.integer({ min: 1, max: MAX_NESTING })),
        (write, depth) => {
          counts.cases++;
          expect(parseSprintText(write(depth), 'sprint.yaml').ok).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(
        shape,
        fc.oneof(fc.constant(MAX_NESTING + 1), fc.integer({ min: MAX_NESTING + 1, max: 3_000 })),
        (write, depth) => {
          counts.cases++;
          const parsed = parseSprintText(write(depth), 'sprint.yaml');
          expect(parsed.ok ? [] : parsed.problems).toEqual([
            {
              path: expect.stringMatching(/^sprint\.yaml:\d+:\d+$/),
              message: `is nested too deeply: lists and maps may nest at most ${MAX_NESTING} levels deep`,
            },
          ]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a long value is repeated as its first 80 characters and its length, wherever it is', () => {
    const places: Array<(value: string) => unknown> = [
      (v) => ({ ...sprintBase, id: v, packages: [pkg] }),
      (v) => ({ ...sprintBase, packages: [{ ...pkg, id: v }] }),
      (v) => ({ ...sprintBase, packages: [pkg, { ...pkg, id: v, dependsOn: [v, v] }] }),
      (v) => ({ ...sprintBase, packages: [{ ...pkg, dependsOn: [v] }] }),
      (v) => ({ ...sprintBase, deadline: v, packages: [pkg] }),
      (v) => ({ ...sprintBase, base: `-${v}`, packages: [pkg] }),
      (v) => ({ ...sprintBase, integration: { branch: `x${v} x` }, packages: [pkg] }),
      (v) => ({ ...sprintBase, packages: [{ ...pkg, timeout: v }] }),
      (v) => ({ ...sprintBase, [v]: 1, packages: [pkg] }),
      (v) => ({ ...sprintBase, packages: [{ ...pkg, [v]: 1 }] }),
      (v) => ({ ...sprintBase, packages: [{ ...pkg, tasks: [{ id: v, title: 't' }] }] }),
      (v) => ({
        ...sprintBase,
        packages: [
          { ...pkg, id: v },
          { ...pkg, id: v.toLowerCase() },
        ],
      }),
    ];
    const longValue = fc
      .tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 100, max: 200_000 }))
      .map(([chunk, length]) => chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length));
    fc.assert(
      fc.property(fc.constantFrom(...places), longValue, (place, value) => {
        counts.cases++;
        const problems = problemsOf(place(value));
        expect(problems.length).toBeGreaterThan(0);
        for (const { path, message } of problems) {
          expect(path.length).toBeLessThanOrEqual(300);
          expect(message.length).toBeLessThanOrEqual(400);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('integration.branch: a name git takes is accepted; one bad sequence anywhere is refused', () => {
    const part = fc
      .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}$/)
      .filter((p) => !p.endsWith('.') && !/\.lock$/i.test(p) && !p.includes('..'));
    const name = fc
      .array(part, { minLength: 1, maxLength: 4 })
      .map((parts) => parts.join('/'))
      .filter((n) => n !== 'HEAD' && !n.toLowerCase().startsWith('sprintwave'));
    const bad = fc.constantFrom(
      '..',
      '~',
      '^',
      ':',
      '?',
      '*',
      '[',
      '\\',
      ' ',
      '@{',
      '//',
      '\t',
      '\u007f',
    );
    fc.assert(
      fc.property(name, bad, fc.nat(), (branch, sequence, where) => {
        counts.cases++;
        expect(problemsOf({ ...sprintBase, integration: { branch }, packages: [pkg] })).toEqual([]);
        const at = where % (branch.length + 1);
        // The schema trims the name: white space counts only inside it.
        fc.pre(!(/^\s$/.test(sequence) && (at === 0 || at === branch.length)));
        const broken = branch.slice(0, at) + sequence + branch.slice(at);
        const problems = problemsOf({
          ...sprintBase,
          integration: { branch: broken },
          packages: [pkg],
        });
        expect(problems.map((p) => p.path)).toEqual(['integration.branch']);
        expect(problems[0]?.message).toMatch(/is not a valid git branch name: /);
      }),
      { numRuns: 300 },
    );
  });

  it('ids that differ only in case are refused at the later one', () => {
    const id = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}$/);
    fc.assert(
      fc.property(id, fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }), (first, flips) => {
        const flipped = [...first]
          .map((c, i) =>
            flips[i] ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c,
          )
          .join('');
        fc.pre(flipped !== first);
        counts.cases++;
        const problems = problemsOf({
          ...sprintBase,
          packages: [
            { ...pkg, id: first },
            { ...pkg, id: flipped },
          ],
        });
        expect(problems).toEqual([
          {
            path: 'packages[1].id',
            message: `${flipped} differs from ${first} (packages[0]) only in case: their branches and folders would be one on a case-insensitive file system (macOS, Windows)`,
          },
        ]);
      }),
      { numRuns: 200 },
    );
  });
});
