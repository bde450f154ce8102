import fc from 'fast-check';
import { computeWaves, planSprint } from '../../src/domain/plan';
import type { SprintSpec } from '../../src/domain/spec';
import { sprint, wp } from '../support/specs';
import { validateSpec } from '../../src/domain/validate';

interface Dag {
  /** Packages in a shuffled order; each depends only on packages created before it. */
  nodes: { id: string; dependsOn: string[] }[];
}

/**
 * Random DAGs: package i may depend only on packages < i (so no loop is possible), then the
 * ids are shuffled so the list order says nothing about the dependency order. Dependencies
 * are drawn as "how far back", biased to near neighbours so deep chains show up too.
 */
function dagArbitrary(minSize: number, maxSize: number): fc.Arbitrary<Dag> {
  const distanceBack = fc.oneof(fc.nat({ max: 2 }), fc.nat());
  const depsOf = fc.array(distanceBack, { maxLength: 4 });
  return fc.array(depsOf, { minLength: minSize, maxLength: maxSize }).chain((rawDeps) => {
    const indices = rawDeps.map((_, i) => i);
    const permutation = fc.shuffledSubarray(indices, {
      minLength: indices.length,
      maxLength: indices.length,
    });
    return fc
      .tuple(permutation, permutation)
      .map(([names, listOrder]) => buildDag(rawDeps, names, listOrder));
  });
}

function buildDag(rawDeps: number[][], names: number[], listOrder: number[]): Dag {
  const idOf = (i: number) => `WP${names[i]}`;
  const dependsOn = (i: number) =>
    i === 0 ? [] : [...new Set((rawDeps[i] ?? []).map((d) => i - 1 - (d % i)))].map(idOf);
  return { nodes: listOrder.map((i) => ({ id: idOf(i), dependsOn: dependsOn(i) })) };
}

function toSpec(dag: Dag): SprintSpec {
  return sprint(
    dag.nodes.map((node) => wp(node.id, [...node.dependsOn], { title: node.id })),
    { id: 'prop' },
  );
}

function checkWaves(dag: Dag): void {
  const waves = computeWaves(dag.nodes);
  const waveOf = new Map<string, number>();
  waves.forEach((wave, i) =>
    wave.forEach((id) => {
      expect(waveOf.has(id)).toBe(false);
      waveOf.set(id, i + 1);
    }),
  );
  expect(waveOf.size).toBe(dag.nodes.length);
  for (const node of dag.nodes) {
    const wave = waveOf.get(node.id) as number;
    const depWaves = node.dependsOn.map((dep) => waveOf.get(dep) as number);
    for (const depWave of depWaves) expect(depWave).toBeLessThan(wave);
    // Minimal: a package waits exactly until its latest dependency's wave is over.
    expect(wave).toBe(Math.max(0, ...depWaves) + 1);
  }
}

/** Some package that `from` depends on, directly or not, chosen by `pick`; undefined if none. */
function someAncestor(dag: Dag, from: string, pick: number): string | undefined {
  const byId = new Map(dag.nodes.map((node) => [node.id, node]));
  const seen = new Set<string>();
  const todo = [...(byId.get(from)?.dependsOn ?? [])];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return [...seen][pick % seen.size];
}

function checkBackEdge(dag: Dag, pickNode: number, pickAncestor: number): void {
  const spec = toSpec(dag);
  expect(validateSpec(spec)).toEqual([]);
  const dependents = dag.nodes.filter((node) => node.dependsOn.length > 0);
  fc.pre(dependents.length > 0);
  const from = dependents[pickNode % dependents.length]?.id as string;
  const ancestor = someAncestor(dag, from, pickAncestor) as string;
  const closed = toSpec({
    nodes: dag.nodes.map((node) =>
      node.id === ancestor ? { ...node, dependsOn: [...node.dependsOn, from] } : node,
    ),
  });
  const loops = validateSpec(closed).filter((problem) =>
    problem.message.includes('dependency loop'),
  );
  expect(loops).toHaveLength(1);
  // The loop named in the message is a real loop of the graph; a long one is named by its
  // ends, with `… (N more)` between them.
  const named = (loops[0]?.message.split(' is a dependency loop')[0] ?? '').split(' → ');
  const gap = named.findIndex((part) => part.startsWith('… ('));
  const stretches = gap < 0 ? [named] : [named.slice(0, gap), named.slice(gap + 1)];
  const byId = new Map(closed.packages.map((wp) => [wp.id, wp]));
  expect(named[0]).toBe(named[named.length - 1]);
  for (const stretch of stretches) {
    for (let i = 0; i + 1 < stretch.length; i++) {
      expect(byId.get(stretch[i] as string)?.dependsOn).toContain(stretch[i + 1]);
    }
  }
  if (gap < 0) expect(named).toEqual(expect.arrayContaining([from, ancestor]));
}

describe('planner properties', () => {
  it('places every package of a small DAG in exactly one, minimal, wave', () => {
    fc.assert(fc.property(dagArbitrary(1, 40), checkWaves), { numRuns: 500 });
  });

  it('places every package of a large DAG in exactly one, minimal, wave', () => {
    fc.assert(fc.property(dagArbitrary(1_500, 2_000), checkWaves), {
      numRuns: 8,
      endOnFailure: true, // shrinking a 2,000-package graph would outlast the test run
    });
  });

  it('detects a back-edge that closes a loop in a small DAG', () => {
    fc.assert(fc.property(dagArbitrary(2, 40), fc.nat(), fc.nat(), checkBackEdge), {
      numRuns: 500,
    });
  });

  it('detects a back-edge that closes a loop in a large DAG', () => {
    fc.assert(fc.property(dagArbitrary(1_500, 2_000), fc.nat(), fc.nat(), checkBackEdge), {
      numRuns: 8,
      endOnFailure: true, // shrinking a 2,000-package graph would outlast the test run
    });
  });

  it('plans what it validated: in-scope packages in waves, counts consistent', () => {
    fc.assert(
      fc.property(dagArbitrary(1, 60), (dag) => {
        const plan = planSprint(toSpec(dag));
        expect(plan.packages).toBe(dag.nodes.length);
        expect(plan.order).toHaveLength(dag.nodes.length);
        expect(plan.waves.flat()).toEqual(plan.order);
        for (const [i, id] of plan.criticalPath.entries()) {
          if (i > 0)
            expect(plan.waveOf[id]).toBeGreaterThan(
              plan.waveOf[plan.criticalPath[i - 1] as string] as number,
            );
        }
        expect(plan.criticalPathPoints).toBe(plan.criticalPath.length);
      }),
      { numRuns: 200 },
    );
  });
});
