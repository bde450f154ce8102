import { planDays } from './day-plan';
import type { DayPlan } from './day-plan';
import { naturalCompare } from './natural-order';
import type { Scope, SprintSpec, Strategy, WorkPackageSpec } from './spec';

export { naturalCompare };

export interface PulledIn {
  id: string;
  /** The MVP packages that need it, directly or through other packages. */
  neededBy: string[];
}

export interface SprintPlan {
  id: string;
  title?: string;
  strategy: Strategy;
  concurrency: number;
  scope: Scope;
  /** In-scope packages in topological levels; each wave sorted naturally. */
  waves: string[][];
  /** 1-based wave number of each in-scope package. */
  waveOf: Record<string, number>;
  /** In-scope ids in dependency order (wave by wave): the order branches are merged in. */
  order: string[];
  criticalPath: string[];
  criticalPathPoints: number;
  /** Number of in-scope packages. */
  packages: number;
  /** Total points of in-scope packages; packages without points count 0. */
  points: number;
  /** Out of scope (scope: mvp), sorted. */
  deferred: string[];
  pulledIn: PulledIn[];
  /** The packages on working days, when the sprint file has `days`. */
  dayPlan?: DayPlan;
  warnings: string[];
}

export interface PlanNode {
  id: string;
  dependsOn: readonly string[];
  points?: number;
}

export interface CriticalPath {
  path: string[];
  points: number;
}

/** What `sprintwave plan --json` prints (and `POST /plan` answers): the plan without its indexes. */
export type PlanJson = Omit<SprintPlan, 'waveOf' | 'order'>;

export function planJson(plan: SprintPlan): PlanJson {
  const { waveOf: _waveOf, order: _order, ...json } = plan;
  return json;
}

/** Plans a sprint that validateSpec found no problem with. */
export function planSprint(spec: SprintSpec): SprintPlan {
  const scoped = selectScope(spec);
  const nodes = toNodes(scoped.packages);
  const waves = computeWaves(nodes);
  const order = waves.flat();
  const critical = criticalPath(nodes, order);
  const dayPlan = spec.days ? planDays(scoped.packages, spec.days, spec.capacity) : undefined;
  return {
    id: spec.id,
    title: spec.title,
    strategy: spec.strategy,
    concurrency: spec.concurrency,
    scope: spec.scope,
    waves,
    waveOf: Object.fromEntries(waves.flatMap((wave, i) => wave.map((id) => [id, i + 1]))),
    order,
    criticalPath: critical.path,
    criticalPathPoints: critical.points,
    packages: nodes.length,
    points: nodes.reduce((sum, node) => sum + (node.points ?? 0), 0),
    deferred: scoped.deferred,
    pulledIn: scoped.pulledIn,
    ...(dayPlan ? { dayPlan } : {}),
    warnings: [
      ...scoped.warnings,
      ...pointWarnings(scoped.packages),
      ...waveWarnings(waves, spec.concurrency),
      ...githubWarnings(spec),
      ...(dayPlan ? dayPlanWarnings(dayPlan) : []),
    ],
  };
}

/**
 * Kahn's algorithm, level by level: a package's wave is one more than the highest wave of
 * its dependencies. Dependencies that are not among `nodes` are ignored; a loop throws.
 */
export function computeWaves(nodes: readonly PlanNode[]): string[][] {
  const dependents = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
  const waiting = new Map<string, number>();
  for (const node of nodes) {
    const deps = new Set(node.dependsOn.filter((dep) => dep !== node.id && dependents.has(dep)));
    waiting.set(node.id, deps.size);
    for (const dep of deps) dependents.get(dep)?.push(node.id);
  }
  const waves: string[][] = [];
  let wave = nodes.filter((node) => waiting.get(node.id) === 0).map((node) => node.id);
  while (wave.length > 0) {
    wave.sort(naturalCompare);
    waves.push(wave);
    const next: string[] = [];
    for (const id of wave) {
      for (const dependent of dependents.get(id) ?? []) {
        const left = (waiting.get(dependent) ?? 0) - 1;
        waiting.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    wave = next;
  }
  const placed = waves.reduce((sum, w) => sum + w.length, 0);
  if (placed < dependents.size) {
    const stuck = [...waiting].filter(([, left]) => left > 0).map(([id]) => id);
    throw new Error(`Cannot plan: dependency loop among ${stuck.sort(naturalCompare).join(', ')}`);
  }
  return waves;
}

interface Reach {
  points: number;
  length: number;
  via?: string;
}

/**
 * The chain of dependencies with the most points (a package without points counts 1).
 * Ties go to the longer chain, then to the naturally smaller id, so the answer is stable.
 */
export function criticalPath(
  nodes: readonly PlanNode[],
  order: readonly string[] = computeWaves(nodes).flat(),
): CriticalPath {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const reach = new Map<string, Reach>();
  let end: string | undefined;
  for (const id of order) {
    const node = byId.get(id);
    if (!node) continue;
    const via = bestOf(node.dependsOn, reach);
    const before = via === undefined ? undefined : reach.get(via);
    reach.set(id, {
      points: (before?.points ?? 0) + (node.points ?? 1),
      length: (before?.length ?? 0) + 1,
      via,
    });
    end = bestOf(end === undefined ? [id] : [end, id], reach);
  }
  const points = end === undefined ? 0 : (reach.get(end)?.points ?? 0);
  return { path: traceBack(end, reach), points };
}

function bestOf(ids: readonly string[], reach: ReadonlyMap<string, Reach>): string | undefined {
  let best: { id: string; reach: Reach } | undefined;
  for (const id of ids) {
    const candidate = reach.get(id);
    if (candidate && (!best || beats(id, candidate, best.id, best.reach))) {
      best = { id, reach: candidate };
    }
  }
  return best?.id;
}

function beats(id: string, reach: Reach, otherId: string, other: Reach): boolean {
  if (reach.points !== other.points) return reach.points > other.points;
  if (reach.length !== other.length) return reach.length > other.length;
  return naturalCompare(id, otherId) < 0;
}

function traceBack(end: string | undefined, reach: ReadonlyMap<string, Reach>): string[] {
  const path: string[] = [];
  for (let at = end; at !== undefined; at = reach.get(at)?.via) path.push(at);
  return path.reverse();
}

function dayPlanWarnings(plan: DayPlan): string[] {
  const over = plan.days
    .filter((day) => day.overCapacity)
    .map(
      (day) =>
        `day ${day.day} is over capacity: ${day.points} points for ${plan.capacity} a day (${day.packages.join(', ')})`,
    );
  const unfit = plan.unplaced.map(
    (wp) => `${wp.id} does not fit in the sprint's days: ${wp.reason}`,
  );
  return [...over, ...unfit];
}

// ---- scope ----

interface ScopedPackages {
  packages: WorkPackageSpec[];
  deferred: string[];
  pulledIn: PulledIn[];
  warnings: string[];
}

/** `scope: mvp` keeps the MVP packages and everything they need; the rest waits for later. */
function selectScope(spec: SprintSpec): ScopedPackages {
  const all = { packages: spec.packages, deferred: [], pulledIn: [] };
  if (spec.scope === 'full') return { ...all, warnings: [] };
  const mvp = spec.packages.filter((wp) => wp.mvp);
  if (mvp.length === 0) {
    return {
      ...all,
      warnings: ['scope is mvp, but no package has mvp: true, so every package is planned'],
    };
  }
  const neededBy = pulledInBy(spec.packages, mvp);
  const inScope = (wp: WorkPackageSpec) => wp.mvp || neededBy.has(wp.id);
  return {
    packages: spec.packages.filter(inScope),
    deferred: spec.packages
      .filter((wp) => !inScope(wp))
      .map((wp) => wp.id)
      .sort(naturalCompare),
    pulledIn: [...neededBy]
      .map(([id, by]) => ({ id, neededBy: by.sort(naturalCompare) }))
      .sort((a, b) => naturalCompare(a.id, b.id)),
    warnings: [],
  };
}

/** Each non-MVP package that some MVP package depends on (transitively), with those MVP packages. */
function pulledInBy(
  packages: readonly WorkPackageSpec[],
  mvp: readonly WorkPackageSpec[],
): Map<string, string[]> {
  const byId = new Map(packages.map((wp) => [wp.id, wp]));
  const neededBy = new Map<string, string[]>();
  for (const root of mvp) {
    for (const id of dependenciesOf(root, byId)) {
      if (byId.get(id)?.mvp) continue;
      const roots = neededBy.get(id) ?? [];
      roots.push(root.id);
      neededBy.set(id, roots);
    }
  }
  return neededBy;
}

/** Everything `root` needs, directly or not (iterative depth-first walk). */
function dependenciesOf(
  root: WorkPackageSpec,
  byId: ReadonlyMap<string, WorkPackageSpec>,
): Set<string> {
  const seen = new Set<string>();
  const todo = [...root.dependsOn];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (seen.has(id) || id === root.id) continue;
    seen.add(id);
    todo.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return seen;
}

function toNodes(packages: readonly WorkPackageSpec[]): PlanNode[] {
  const ids = new Set(packages.map((wp) => wp.id));
  return packages.map((wp) => ({
    id: wp.id,
    dependsOn: [...new Set(wp.dependsOn)].filter((dep) => ids.has(dep)),
    points: wp.points,
  }));
}

// ---- warnings ----

function pointWarnings(packages: readonly WorkPackageSpec[]): string[] {
  const without = packages.filter((wp) => wp.points === undefined).length;
  if (without === 0 || without === packages.length) return [];
  return [
    `${without} of ${packages.length} packages have no points: they count 0 in the total and 1 on the critical path`,
  ];
}

function githubWarnings(spec: SprintSpec): string[] {
  return spec.github?.sync && spec.github.issue === undefined
    ? ['github.issue is not set: no progress comment will be posted']
    : [];
}

function waveWarnings(waves: readonly string[][], concurrency: number): string[] {
  return waves.flatMap((wave, i) =>
    wave.length > concurrency
      ? [`wave ${i + 1} has ${wave.length} packages; at most ${concurrency} run at once`]
      : [],
  );
}
