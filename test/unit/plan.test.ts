import { readFileSync } from 'node:fs';
import path from 'node:path';
import { computeWaves, criticalPath, naturalCompare, planSprint } from '../../src/domain/plan';
import { planJson, renderPlan } from '../../src/domain/render-plan';
import type { SprintSpec } from '../../src/domain/spec';
import { sprint, wp } from '../support/specs';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';
import { parseSprintText } from '../../src/schemas/sprint-text';

const EXAMPLE = path.join(__dirname, '../../examples/identity-sync.sprint.yaml');

function loadExample(): SprintSpec {
  const parsed = parseSprintText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const check = checkSprintSpec(parsed.value);
  if (!check.ok) throw new Error(JSON.stringify(check.problems));
  return check.spec;
}

describe('the identity-sync example', () => {
  it('plans the waves of the work-package document', () => {
    const plan = planSprint(loadExample());
    expect(plan.waves).toEqual([['WP01'], ['WP02', 'WP03'], ['WP04'], ['WP05'], ['WP06']]);
    expect(plan.waveOf).toEqual({ WP01: 1, WP02: 2, WP03: 2, WP04: 3, WP05: 4, WP06: 5 });
    expect(plan.order).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP05', 'WP06']);
    expect(plan.criticalPath).toEqual(['WP01', 'WP02', 'WP04', 'WP05', 'WP06']);
    expect(plan.criticalPathPoints).toBe(16);
    expect(plan).toMatchObject({
      packages: 6,
      points: 18,
      deferred: [],
      pulledIn: [],
      warnings: [],
    });
  });

  it('keeps WP01, WP02 and WP04 in an MVP run and defers the rest', () => {
    const plan = planSprint({ ...loadExample(), scope: 'mvp' });
    expect(plan.waves).toEqual([['WP01'], ['WP02'], ['WP04']]);
    expect(plan.deferred).toEqual(['WP03', 'WP05', 'WP06']);
    expect(plan.pulledIn).toEqual([]);
    expect(plan).toMatchObject({ packages: 3, points: 9, criticalPathPoints: 9 });
  });

  it('renders the plan for people and as JSON', () => {
    const plan = planSprint(loadExample());
    expect(renderPlan(plan)).toBe(
      [
        'identity-sync — Identity-aware CLI event sync (strategy waves, concurrency 2, scope full)',
        '',
        'Wave 1  WP01',
        'Wave 2  WP02 + WP03',
        'Wave 3  WP04',
        'Wave 4  WP05',
        'Wave 5  WP06',
        '',
        'Critical path  WP01 → WP02 → WP04 → WP05 → WP06 (16 points)',
        'Total          6 packages, 18 points',
      ].join('\n'),
    );
    expect(JSON.parse(JSON.stringify(planJson(plan)))).toEqual({
      id: 'identity-sync',
      title: 'Identity-aware CLI event sync',
      strategy: 'waves',
      concurrency: 2,
      scope: 'full',
      waves: [['WP01'], ['WP02', 'WP03'], ['WP04'], ['WP05'], ['WP06']],
      criticalPath: ['WP01', 'WP02', 'WP04', 'WP05', 'WP06'],
      criticalPathPoints: 16,
      packages: 6,
      points: 18,
      deferred: [],
      pulledIn: [],
      warnings: [],
    });
  });
});

describe('scope: mvp', () => {
  const packages = [
    wp('setup', [], { points: 1 }),
    wp('schema', ['setup'], { points: 2 }),
    wp('api', ['schema'], { mvp: true, points: 3 }),
    wp('ui', ['api'], { mvp: true, points: 5 }),
    wp('docs', ['api'], { points: 1 }),
    wp('polish', ['ui', 'docs'], { points: 2 }),
  ];

  it('pulls in what MVP packages need, transitively, and defers the rest', () => {
    const plan = planSprint(sprint(packages, { scope: 'mvp' }));
    expect(plan.waves).toEqual([['setup'], ['schema'], ['api'], ['ui']]);
    expect(plan.pulledIn).toEqual([
      { id: 'schema', neededBy: ['api', 'ui'] },
      { id: 'setup', neededBy: ['api', 'ui'] },
    ]);
    expect(plan.deferred).toEqual(['docs', 'polish']);
    expect(plan).toMatchObject({ packages: 4, points: 11, criticalPathPoints: 11 });
    expect(renderPlan(plan)).toContain(
      'Deferred       docs, polish\nPulled in      schema (needed by api, ui), setup (needed by api, ui)',
    );
  });

  it('plans every package, with a warning, when none is MVP', () => {
    const plan = planSprint(sprint([wp('a'), wp('b', ['a'])], { scope: 'mvp' }));
    expect(plan.waves).toEqual([['a'], ['b']]);
    expect(plan.deferred).toEqual([]);
    expect(plan.warnings).toEqual([
      'scope is mvp, but no package has mvp: true, so every package is planned',
    ]);
  });
});

describe('warnings', () => {
  it('warns when a wave is wider than the concurrency, not the other way round', () => {
    const wide = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'].map((id) => wp(id, ['a']));
    const plan = planSprint(sprint([wp('a'), ...wide], { concurrency: 4 }));
    expect(plan.warnings).toEqual(['wave 2 has 6 packages; at most 4 run at once']);
    expect(planSprint(sprint([wp('a'), ...wide], { concurrency: 10 })).warnings).toEqual([]);
    expect(renderPlan(plan)).toContain(
      '\nWarnings\n  ! wave 2 has 6 packages; at most 4 run at once',
    );
  });

  it('says how packages without points are counted when only some have points', () => {
    const plan = planSprint(sprint([wp('a', [], { points: 5 }), wp('b', ['a']), wp('c', ['b'])]));
    expect(plan.points).toBe(5);
    expect(plan.criticalPathPoints).toBe(7);
    expect(plan.warnings).toEqual([
      '2 of 3 packages have no points: they count 0 in the total and 1 on the critical path',
    ]);
  });
});

describe('computeWaves', () => {
  it('puts each package one wave after its latest dependency', () => {
    const waves = computeWaves([
      { id: 'd', dependsOn: ['a', 'c'] },
      { id: 'c', dependsOn: ['b'] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'a', dependsOn: [] },
      { id: 'e', dependsOn: ['a'] },
    ]);
    expect(waves).toEqual([['a'], ['b', 'e'], ['c'], ['d']]);
  });

  it('sorts each wave naturally', () => {
    const ids = ['WP10', 'WP2', 'WP1', 'WP02', 'WP01', 'wp3', 'WP9'];
    expect(computeWaves(ids.map((id) => ({ id, dependsOn: [] })))).toEqual([
      ['WP01', 'WP1', 'WP02', 'WP2', 'WP9', 'WP10', 'wp3'],
    ]);
  });

  it('handles a chain of 20,000 packages', () => {
    const nodes = Array.from({ length: 20_000 }, (_, i) => ({
      id: `n${i}`,
      dependsOn: i ? [`n${i - 1}`] : [],
    }));
    const waves = computeWaves(nodes);
    expect(waves).toHaveLength(20_000);
    expect(criticalPath(nodes).path).toHaveLength(20_000);
  });

  it('refuses a loop', () => {
    expect(() =>
      computeWaves([
        { id: 'a', dependsOn: [] },
        { id: 'b', dependsOn: ['c', 'a'] },
        { id: 'c', dependsOn: ['b'] },
      ]),
    ).toThrow('Cannot plan: dependency loop among b, c');
  });
});

describe('criticalPath', () => {
  it('follows the most points, counting 1 for a package without points', () => {
    const nodes = [
      { id: 'a', dependsOn: [], points: 1 },
      { id: 'b', dependsOn: ['a'], points: 8 },
      { id: 'c', dependsOn: ['a'] },
      { id: 'd', dependsOn: ['b', 'c'], points: 2 },
    ];
    expect(criticalPath(nodes)).toEqual({ path: ['a', 'b', 'd'], points: 11 });
  });

  it('breaks ties by id, so the answer is stable', () => {
    const nodes = [
      { id: 'WP10', dependsOn: [] },
      { id: 'WP9', dependsOn: [] },
      { id: 'WP11', dependsOn: ['WP10', 'WP9'] },
      { id: 'WP12', dependsOn: ['WP10', 'WP9'] },
    ];
    expect(criticalPath(nodes)).toEqual({ path: ['WP9', 'WP11'], points: 2 });
    expect(criticalPath([...nodes].reverse())).toEqual({ path: ['WP9', 'WP11'], points: 2 });
  });

  it('prefers the longer chain when zero-point packages tie', () => {
    const nodes = [
      { id: 'a', dependsOn: [], points: 3 },
      { id: 'b', dependsOn: ['a'], points: 0 },
    ];
    expect(criticalPath(nodes)).toEqual({ path: ['a', 'b'], points: 3 });
  });
});

describe('naturalCompare', () => {
  it('orders numbers inside ids by value', () => {
    const ids = ['WP10', 'WP2', 'WP01', 'WP02', 'WP1', 'A', 'WP100', 'WP', 'WP2a', 'WP2-1'];
    expect([...ids].sort(naturalCompare)).toEqual([
      'A',
      'WP',
      'WP01',
      'WP1',
      'WP02',
      'WP2',
      'WP2-1',
      'WP2a',
      'WP10',
      'WP100',
    ]);
  });
});

describe('plan warnings', () => {
  it('warns when a github section has no issue to post to', () => {
    const checked = checkSprintSpec({
      id: 's',
      repo: '.',
      github: { repo: 'acme/widgets' },
      packages: [{ id: 'A', title: 'a', run: 'true' }],
    });
    if (!checked.ok) throw new Error('invalid');
    expect(planSprint(checked.spec).warnings).toContain(
      'github.issue is not set: no progress comment will be posted',
    );
  });
});
