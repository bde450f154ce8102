import { sprint, wp } from '../support/specs';
import { validateSpec } from '../../src/domain/validate';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';

describe('validateSpec', () => {
  it('finds nothing wrong with a sound sprint', () => {
    const spec = sprint([wp('WP01'), wp('WP02', ['WP01']), wp('WP03', ['WP01', 'WP02'])], {
      deadline: '2026-12-01T17:00:00Z',
      github: { repo: 'acme/widgets', sync: true, minInterval: '10s' },
    });
    expect(validateSpec(spec)).toEqual([]);
  });

  it('names the duplicate id and where it was first used', () => {
    const spec = sprint([wp('WP01'), wp('WP02'), wp('WP03'), wp('WP04'), wp('WP02')]);
    expect(validateSpec(spec)).toEqual([
      { path: 'packages[4].id', message: 'WP02 is already the id of packages[1]' },
    ]);
  });

  it('reports unknown, self and repeated dependencies at their own paths', () => {
    const spec = sprint([wp('WP01'), wp('WP02', ['WP02']), wp('WP03', ['WP09', 'WP01', 'WP01'])]);
    expect(validateSpec(spec)).toEqual([
      {
        path: 'packages[1].dependsOn[0]',
        message: 'depends on WP02, which is this package itself',
      },
      {
        path: 'packages[2].dependsOn[0]',
        message: 'depends on WP09, which is not a package of this sprint',
      },
      {
        path: 'packages[2].dependsOn[2]',
        message: 'depends on WP01 again (already listed at dependsOn[1])',
      },
    ]);
  });

  it('names a dependency loop once, at the first package in it', () => {
    const spec = sprint([
      wp('WP01'),
      wp('WP02', ['WP01', 'WP04']),
      wp('WP03'),
      wp('WP04', ['WP02']),
    ]);
    expect(validateSpec(spec)).toEqual([
      {
        path: 'packages[1].dependsOn',
        message:
          'WP02 → WP04 → WP02 is a dependency loop (each package depends on the next), so none of them can start',
      },
    ]);
  });

  it('reports each separate loop, and the packages tangled in a loop', () => {
    const spec = sprint([
      wp('A', ['B']),
      wp('B', ['C']),
      wp('C', ['A', 'D']),
      wp('D', ['C']),
      wp('E', ['F']),
      wp('F', ['E']),
    ]);
    const problems = validateSpec(spec);
    expect(problems).toHaveLength(2);
    expect(problems).toContainEqual({
      path: 'packages[0].dependsOn',
      message:
        'A → B → C → A is a dependency loop (each package depends on the next), so none of them can start; D is caught in it too',
    });
    expect(problems).toContainEqual({
      path: 'packages[4].dependsOn',
      message:
        'E → F → E is a dependency loop (each package depends on the next), so none of them can start',
    });
  });

  it('finds a loop of 5,000 packages without overflowing the stack', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `WP${i}`);
    const spec = sprint(ids.map((id, i) => wp(id, [ids[(i + 1) % ids.length] as string])));
    const problems = validateSpec(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('packages[0].dependsOn');
    expect(problems[0]?.message).toMatch(
      /^WP0 → WP1 → WP2 → .* → WP4999 → WP0 is a dependency loop/,
    );
  });

  it('rejects a package called integration unless the integration branch is set', () => {
    const clash = sprint([wp('integration')]);
    expect(validateSpec(clash)).toEqual([
      {
        path: 'packages[0].id',
        message:
          'integration clashes with the default integration branch sprintwave/demo/integration: rename the package or set integration.branch',
      },
    ]);
    const named = sprint([wp('integration')], { integration: { branch: 'release', checks: [] } });
    expect(validateSpec(named)).toEqual([]);
  });

  it('asks for exactly one of run and external', () => {
    const spec = sprint([
      wp('WP01', [], { external: true }),
      wp('WP02', [], { run: undefined }),
      wp('WP03', [], { run: undefined, external: true }),
    ]);
    expect(validateSpec(spec)).toEqual([
      {
        path: 'packages[0]',
        message: 'WP01 has both run and external: true; give it one or the other',
      },
      {
        path: 'packages[1]',
        message:
          'WP02 has neither run nor external: true; give it a command to run or mark it external',
      },
    ]);
  });

  it('returns every problem at once', () => {
    const spec = sprint(
      [
        wp('WP01', ['WP01']),
        wp('WP01'),
        wp('WP03', ['nope'], { lease: '1h' }),
        wp('A', ['B']),
        wp('B', ['A']),
      ],
      { capacity: 5 },
    );
    expect(validateSpec(spec).map((problem) => problem.path)).toEqual([
      'capacity',
      'packages[0].dependsOn[0]',
      'packages[1].id',
      'packages[2].lease',
      'packages[2].dependsOn[0]',
      'packages[3].dependsOn',
    ]);
  });
});

describe('checkSprintSpec', () => {
  const minimal = {
    id: 'demo',
    repo: '.',
    packages: [{ id: 'WP01', title: 'First', run: 'true' }],
  };

  it('accepts a minimal sprint and fills in the defaults', () => {
    const check = checkSprintSpec(minimal);
    expect(check).toEqual({
      ok: true,
      spec: expect.objectContaining({
        base: 'main',
        strategy: 'waves',
        concurrency: 4,
        scope: 'full',
      }),
    });
  });

  it('names an unknown field by its path', () => {
    const raw = { ...minimal, packages: [{ ...minimal.packages[0], colour: 'red' }] };
    expect(checkSprintSpec(raw)).toEqual({
      ok: false,
      problems: [{ path: 'packages[0].colour', message: 'is not a known field' }],
    });
  });

  it('rejects a sprint without packages', () => {
    expect(checkSprintSpec({ ...minimal, packages: [] })).toEqual({
      ok: false,
      problems: [
        { path: 'packages', message: 'has no work packages: a sprint needs at least one' },
      ],
    });
  });

  it('rejects ids that cannot be a branch or folder name', () => {
    const raw = {
      ...minimal,
      id: 'my/sprint',
      packages: [
        { id: 'WP 1', title: 'First', run: 'true' },
        { id: '../etc', title: 'Second', run: 'true' },
      ],
    };
    expect(checkSprintSpec(raw)).toEqual({
      ok: false,
      problems: [
        {
          path: 'id',
          message: 'my/sprint is not usable as a branch or folder name: contains a slash',
        },
        {
          path: 'packages[0].id',
          message: 'WP 1 is not usable as a branch or folder name: contains white space',
        },
        {
          path: 'packages[1].id',
          message: '../etc is not usable as a branch or folder name: contains a slash',
        },
      ],
    });
  });

  it("takes GitHub repositories by GitHub's rules", () => {
    const github = (repo: string) => checkSprintSpec({ ...minimal, github: { repo } });
    for (const repo of [
      'acme/widgets',
      'acme-corp/my.repo_2',
      'a1/.github',
      `${'o'.repeat(39)}/x`,
    ]) {
      expect(github(repo).ok).toBe(true);
    }
    for (const repo of [
      'nope',
      'a_b/c',
      'a.b/c',
      '-acme/c',
      'acme-/c',
      'ac--me/c',
      'acme/..',
      'a/b/c',
      `${'o'.repeat(40)}/x`,
    ]) {
      expect(github(repo)).toEqual({
        ok: false,
        problems: [
          {
            path: 'github.repo',
            message:
              'must be of the form owner/name: the owner letters, digits and single hyphens (not first or last), the name letters, digits, ., _ and -',
          },
        ],
      });
    }
  });

  it('reports schema problems all at once', () => {
    const raw = {
      repo: '.',
      concurrency: 0,
      github: { repo: 'nope' },
      packages: [{ id: 'WP01', title: 'First', run: 'true', timeout: '5 minutes' }],
    };
    const check = checkSprintSpec(raw);
    expect(check.ok).toBe(false);
    const problems = check.ok ? [] : check.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'id', message: 'is required' },
        { path: 'concurrency', message: 'must be at least 1' },
        {
          path: 'github.repo',
          message: expect.stringMatching(/^must be of the form owner\/name: /),
        },
        {
          path: 'packages[0].timeout',
          message: 'is not a duration: use a number and a unit, like 90s, 30m, 2h or 1h30m',
        },
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('runs the graph checks once the schema is satisfied', () => {
    const raw = {
      ...minimal,
      packages: [{ id: 'WP01', title: 'First', run: 'true', dependsOn: ['WP09'] }],
    };
    expect(checkSprintSpec(raw)).toEqual({
      ok: false,
      problems: [
        {
          path: 'packages[0].dependsOn[0]',
          message: 'depends on WP09, which is not a package of this sprint',
        },
      ],
    });
  });
});

describe('values that validate but would break the run', () => {
  const base = { id: 'demo', repo: '.', packages: [{ id: 'WP01', title: 'First', run: 'true' }] };
  const problemsOf = (raw: Record<string, unknown>) => {
    const check = checkSprintSpec(raw);
    return check.ok ? [] : check.problems;
  };
  const withPackage = (extra: Record<string, unknown>, sprintExtra: Record<string, unknown> = {}) =>
    problemsOf({ ...base, ...sprintExtra, packages: [{ ...base.packages[0], ...extra }] });

  it("bounds a timeout at 24d, where Node's setTimeout overflows", () => {
    expect(withPackage({ timeout: '24d' })).toEqual([]);
    expect(withPackage({ timeout: '25d' })).toEqual([
      {
        path: 'packages[0].timeout',
        message:
          "must be at most 24d: the worker times it with Node's setTimeout, which stops at 24.8 days",
      },
    ]);
    expect(withPackage({ timeout: '99999999999999999999d' })[0]?.message).toMatch(/at most 24d/);
  });

  it('bounds estimates, the deadline and every Temporal timer at 3652500d (10,000 years)', () => {
    expect(withPackage({ estimate: '100000000d' }, { deadline: '8h' })).toEqual([
      {
        path: 'packages[0].estimate',
        message:
          'must be at most 3652500d (10,000 years), the furthest a sprint projects its finish',
      },
    ]);
    expect(withPackage({ estimate: '3652500d' }, { deadline: '3652500d' })).toEqual([]);
    expect(problemsOf({ ...base, deadline: '3652501d' })).toEqual([
      {
        path: 'deadline',
        message: 'must be at most 3652500d (10,000 years), the longest duration Temporal accepts',
      },
    ]);
    expect(withPackage({ run: undefined, external: true, lease: '3652501d' })[0]?.path).toBe(
      'packages[0].lease',
    );
    const github = { repo: 'acme/widgets', minInterval: '3652501d' };
    expect(problemsOf({ ...base, github })[0]?.path).toBe('github.minInterval');
    expect(problemsOf({ ...base, days: { count: 2, length: '3652501d' } })[0]?.path).toBe(
      'days.length',
    );
  });

  it('bounds the estimates together, since the projected finish adds them up', () => {
    const estimated = (estimates: string[]) =>
      problemsOf({
        ...base,
        deadline: '8h',
        packages: estimates.map((estimate, i) => ({
          id: `WP${i}`,
          title: 't',
          run: 'true',
          estimate,
        })),
      });
    expect(estimated(['2000000d', '1652500d'])).toEqual([]);
    expect(estimated(['2000000d', '1652500d', '1ms'])).toEqual([
      {
        path: 'packages[2].estimate',
        message:
          "brings the sprint's estimates to more than 3652500d (10,000 years) in all, the furthest a sprint projects its finish",
      },
    ]);
  });

  it('keeps every day of the sprint a date and within a timer', () => {
    expect(problemsOf({ ...base, days: { count: 366, length: '10000d' } })).toEqual([]);
    expect(problemsOf({ ...base, days: { count: 366, length: '10007d' } })).toEqual([
      {
        path: 'days.length',
        message:
          'puts day 366 more than 3652500d (10,000 years) after the start, a longer wait than Temporal accepts',
      },
    ]);
    // 9999-12-31 is a Friday: the next working day has a five-digit year.
    expect(problemsOf({ ...base, days: { count: 1, start: '9999-12-31' } })).toEqual([]);
    expect(problemsOf({ ...base, days: { count: 2, start: '9999-12-31' } })).toEqual([
      {
        path: 'days.start',
        message:
          'puts day 2 after 9999-12-31, the last date a sprint can name: start earlier or plan fewer days',
      },
    ]);
  });

  it('refuses an integration branch or base that git would refuse', () => {
    const branch = (name: string) => problemsOf({ ...base, integration: { branch: name } });
    expect(branch('release/2026-q1')).toEqual([]);
    expect(branch('bad name..x')).toEqual([
      {
        path: 'integration.branch',
        message: 'bad name..x is not a valid git branch name: contains a space',
      },
    ]);
    expect(branch('-D')[0]?.message).toBe(
      "-D is not a valid git branch name: starts with '-', so git would read it as an option",
    );
    expect(branch('a..b')[0]?.message).toMatch(/contains '\.\.'$/);
    expect(branch('x/.hidden')[0]?.message).toMatch(/a part that starts with '\.'/);
    expect(branch('x.lock/y')[0]?.message).toMatch(/a part that ends with '\.lock'/);
    expect(problemsOf({ ...base, base: '-D' })).toEqual([
      {
        path: 'base',
        message:
          "-D is not usable as a git ref: starts with '-', so git would read it as an option",
      },
    ]);
    expect(problemsOf({ ...base, base: 'HEAD~1' })).toEqual([]);
  });

  it('refuses an integration branch that is a folder of the package branches, or under one', () => {
    const branch = (name: string) => problemsOf({ ...base, integration: { branch: name } });
    expect(branch('sprintwave/Demo')).toEqual([
      {
        path: 'integration.branch',
        message:
          'sprintwave/Demo is a folder of the package branches (sprintwave/demo/<package>), and git cannot hold a branch and a folder of one name: choose another name',
      },
    ]);
    expect(branch('sprintwave/demo/wp01/merged')).toEqual([
      {
        path: 'packages[0].id',
        message:
          "WP01's branch would be a folder of integration.branch sprintwave/demo/wp01/merged, and git cannot hold a branch and a folder of one name: rename the package or the branch",
      },
    ]);
    expect(validateSpec(sprint([wp('Integration')]))[0]?.message).toMatch(
      /^Integration clashes with the default integration branch sprintwave\/demo\/integration/,
    );
  });

  it('refuses ids that differ only in case: one branch and folder on macOS and Windows', () => {
    expect(validateSpec(sprint([wp('WP01'), wp('WP02'), wp('WP03'), wp('wp01')]))).toEqual([
      {
        path: 'packages[3].id',
        message:
          'wp01 differs from WP01 (packages[0]) only in case: their branches and folders would be one on a case-insensitive file system (macOS, Windows)',
      },
    ]);
  });

  it('repeats at most 80 characters of a value, and says how long it was', () => {
    const id = 'W'.repeat(900_000);
    const [problem, ...rest] = withPackage({ id });
    expect(rest).toEqual([]);
    expect(problem?.message).toBe(
      `${'W'.repeat(80)}… (900000 characters) is not usable as a branch or folder name: is longer than 64 characters`,
    );
    const repo = `${'x'.repeat(5_000_000)}`;
    const github = problemsOf({ ...base, github: { repo } });
    expect(github).toEqual([
      { path: 'github.repo', message: expect.stringMatching(/^must be of the form owner\/name: /) },
    ]);
    const unknownKey = problemsOf({ ...base, ['k'.repeat(100_000)]: 1 });
    expect(unknownKey[0]?.path).toBe(`["${'k'.repeat(80)}… (100000 characters)"]`);
    const unknownDependency = validateSpec(sprint([wp('A', ['d'.repeat(10_000)])]));
    expect(unknownDependency[0]?.message).toBe(
      `depends on ${'d'.repeat(80)}… (10000 characters), which is not a package of this sprint`,
    );
  });

  it('lists a long dependency loop by its ends', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `WP${i}`);
    const spec = sprint(ids.map((id, i) => wp(id, [ids[(i + 1) % ids.length] as string])));
    expect(validateSpec(spec)[0]?.message).toBe(
      'WP0 → WP1 → WP2 → WP3 → WP4 → WP5 → WP6 → WP7 → WP8 → WP9 → … (81 more) → WP91 → WP92 → WP93 → WP94 → WP95 → WP96 → WP97 → WP98 → WP99 → WP0 is a dependency loop (each package depends on the next), so none of them can start',
    );
  });
});
