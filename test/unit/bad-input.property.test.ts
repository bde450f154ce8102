import fc from 'fast-check';
import { planJson, planSprint } from '../../src/domain/plan';
import type { SprintPlan } from '../../src/domain/plan';
import { renderPlan } from '../../src/domain/render-plan';
import type { SpecProblem, SprintSpec } from '../../src/domain/spec';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { parseSprintText } from '../../src/schemas/sprint-text';
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
