import { LAST_WRITABLE_DAY, workingDayAt } from './day-plan';
import { PROJECTION_BOUND, TEMPORAL_TIMER_BOUND, parseDuration } from './duration';
import { defaultIntegrationBranch, packageBranch } from './ids';
import { shown } from './shown';
import type { SpecProblem, SprintSpec, WorkPackageSpec } from './spec';

/**
 * What the sprint file's schema cannot say, for a sprint it accepted: how fields and packages
 * fit together (ids unique, dependencies known and without loops, one executor per package,
 * branches that do not clash, days and estimates that stay within bounds together). Every
 * problem at once, each with its path (`packages[3].dependsOn[0]`) and a sentence; an empty
 * list means the sprint can be planned and run.
 */
export function validateSpec(spec: SprintSpec): SpecProblem[] {
  const firstIndex = firstIndexById(spec.packages);
  const firstFolded = firstIndexById(spec.packages, (id) => id.toLowerCase());
  return [
    ...sprintProblems(spec),
    ...timeProblems(spec),
    ...spec.packages.flatMap((wp, i) =>
      packageProblems(spec, spec.packages, wp, i, firstIndex, firstFolded),
    ),
    ...cycleProblems(spec.packages, firstIndex),
  ];
}

/**
 * For a sprint file its schema refused: the problems between its packages (ids alike,
 * dependencies unknown or in a loop, executors and leases at odds) that can still be told, so
 * that one pass names every problem. Each package is read as far as it can be; a field of the
 * wrong type counts as absent.
 */
export function packageGraphProblems(raw: unknown): SpecProblem[] {
  const listed = (raw as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(listed)) return [];
  const packages = listed.map(lenientPackage);
  const firstIndex = firstIndexById(packages);
  const firstFolded = firstIndexById(packages, (id) => id.toLowerCase());
  const problems = [
    ...packages.flatMap((wp, i) =>
      unreadable(wp) ? [] : packageProblems(undefined, packages, wp, i, firstIndex, firstFolded),
    ),
    ...cycleProblems(packages, firstIndex),
  ];
  return problems.filter((problem) => !problem.message.includes(UNREADABLE));
}

/** Stands for the id of a package whose id is not text; never shown (its problems are dropped). */
const UNREADABLE = '\u0000';

function unreadable(wp: WorkPackageSpec): boolean {
  return wp.id.startsWith(UNREADABLE);
}

function lenientPackage(raw: unknown, index: number): WorkPackageSpec {
  const value = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (field: string): string | undefined =>
    typeof value[field] === 'string' ? (value[field] as string) : undefined;
  const dependsOn = Array.isArray(value.dependsOn)
    ? value.dependsOn.filter((id): id is string => typeof id === 'string')
    : [];
  return {
    id: text('id') ?? `${UNREADABLE}${index}`,
    title: text('title') ?? '',
    dependsOn,
    priority: 'P1',
    external: value.external === true,
    run: text('run'),
    agent: text('agent'),
    prompt: text('prompt'),
    lease: text('lease'),
    retry: text('retry'),
  } as WorkPackageSpec;
}

function firstIndexById(
  packages: readonly WorkPackageSpec[],
  key: (id: string) => string = (id) => id,
): Map<string, number> {
  const first = new Map<string, number>();
  packages.forEach((wp, i) => {
    if (!first.has(key(wp.id))) first.set(key(wp.id), i);
  });
  return first;
}

function sprintProblems(spec: SprintSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const branch = integrationBranchProblem(spec);
  if (branch) add('integration.branch', branch);
  if (spec.capacity !== undefined && !spec.days) {
    add('capacity', 'is points per day, but the sprint has no days: add `days` (e.g. days: 10)');
  }
  return problems;
}

function packageProblems(
  spec: SprintSpec | undefined,
  packages: readonly WorkPackageSpec[],
  wp: WorkPackageSpec,
  index: number,
  firstIndex: ReadonlyMap<string, number>,
  firstFolded: ReadonlyMap<string, number>,
): SpecProblem[] {
  const at = `packages[${index}]`;
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const first = firstIndex.get(wp.id);
  const firstInCase = firstFolded.get(wp.id.toLowerCase());
  if (first !== undefined && first !== index) {
    add(`${at}.id`, `${shown(wp.id)} is already the id of packages[${first}]`);
  } else if (firstInCase !== undefined && firstInCase !== index) {
    const other = packages[firstInCase]?.id ?? '';
    add(
      `${at}.id`,
      `${shown(wp.id)} differs from ${shown(other)} (packages[${firstInCase}]) only in case: their branches and folders would be one on a case-insensitive file system (macOS, Windows)`,
    );
  }
  const clash = spec && branchClash(spec, wp.id);
  if (clash) add(`${at}.id`, clash);
  const executor = executorProblem(wp);
  if (executor) add(at, executor);
  if (wp.lease !== undefined && !wp.external) {
    add(
      `${at}.lease`,
      `${shown(wp.id)} has a lease but is not external: only an external package reports, so only it can stall`,
    );
  }
  if (wp.retry !== undefined && wp.external) {
    add(
      `${at}.retry`,
      `${shown(wp.id)} has retry but is external: its reporter decides what a new attempt starts from`,
    );
  }
  return [...problems, ...dependencyProblems(wp, at, firstIndex)];
}

/**
 * A package branch must not be the integration branch (the merge would target the package's
 * own work), nor a folder of it: git cannot hold a branch and a folder of one name. Compared
 * without case, since refs are files on a case-insensitive disk too.
 */
function branchClash(spec: SprintSpec, wpId: string): string | undefined {
  const integration = spec.integration.branch ?? defaultIntegrationBranch(spec.id);
  const own = packageBranch(spec.id, wpId).toLowerCase();
  const target = integration.toLowerCase();
  const id = shown(wpId);
  const named = spec.integration.branch === undefined;
  if (own === target) {
    return named
      ? `${id} clashes with the default integration branch ${shown(integration)}: rename the package or set integration.branch`
      : `${id} clashes with integration.branch ${shown(integration)}: rename the package or the branch`;
  }
  if (!target.startsWith(`${own}/`)) return undefined;
  return `${id}'s branch would be a folder of integration.branch ${shown(integration)}, and git cannot hold a branch and a folder of one name: rename the package or the branch`;
}

/** Why the integration branch cannot be created beside the package branches, if it cannot. */
function integrationBranchProblem(spec: SprintSpec): string | undefined {
  const branch = spec.integration.branch;
  if (branch === undefined) return undefined;
  const packagesFolder = `sprintwave/${spec.id}/`.toLowerCase();
  if (packagesFolder.startsWith(`${branch.toLowerCase()}/`)) {
    const packages = shown(packageBranch(spec.id, '<package>'));
    return `${shown(branch)} is a folder of the package branches (${packages}), and git cannot hold a branch and a folder of one name: choose another name`;
  }
  return undefined;
}

function executorProblem(wp: WorkPackageSpec): string | undefined {
  const id = shown(wp.id);
  if (wp.agent !== undefined) {
    const others = [wp.run !== undefined && 'run', wp.external && 'external: true'].filter(Boolean);
    return others.length
      ? `${id} has agent and ${others.join(' and ')}; give it only one of run, external: true and agent`
      : undefined;
  }
  if (wp.prompt !== undefined) {
    return `${id} has a prompt but no agent: add agent (claude, codex, aider or gemini) to use it`;
  }
  if (wp.run !== undefined && wp.external) {
    return `${id} has both run and external: true; give it one or the other`;
  }
  if (wp.run === undefined && !wp.external) {
    return `${id} has neither run nor external: true; give it a command to run or mark it external`;
  }
  return undefined;
}

// ---- times: each one a sprint computes stays a date, and each wait a Temporal duration ----

function timeProblems(spec: SprintSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const days = spec.days;
  if (days?.start !== undefined) {
    if (workingDayAt(days.start, days.count - 1) > LAST_WRITABLE_DAY) {
      add(
        'days.start',
        `puts day ${days.count} after 9999-12-31, the last date a sprint can name: start earlier or plan fewer days`,
      );
    }
  } else if (days?.length !== undefined) {
    const lengthMs = parseDuration(days.length);
    if (lengthMs !== undefined && (days.count - 1) * lengthMs > TEMPORAL_TIMER_BOUND.maxMs) {
      add(
        'days.length',
        `puts day ${days.count} more than 3652500d (10,000 years) after the start, a longer wait than Temporal accepts`,
      );
    }
  }
  const estimates = estimatesTotalProblem(spec.packages);
  if (estimates) problems.push(estimates);
  return problems;
}

/** The projected finish adds estimates up: their total must stay within the projection's bound. */
function estimatesTotalProblem(packages: readonly WorkPackageSpec[]): SpecProblem | undefined {
  let total = 0;
  for (const [index, wp] of packages.entries()) {
    const ms = wp.estimate === undefined ? undefined : parseDuration(wp.estimate);
    if (ms === undefined) continue;
    total += ms;
    if (total > PROJECTION_BOUND.maxMs) {
      return {
        path: `packages[${index}].estimate`,
        message:
          "brings the sprint's estimates to more than 3652500d (10,000 years) in all, the furthest a sprint projects its finish",
      };
    }
  }
  return undefined;
}

function dependencyProblems(
  wp: WorkPackageSpec,
  at: string,
  firstIndex: ReadonlyMap<string, number>,
): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seenAt = new Map<string, number>();
  wp.dependsOn.forEach((dep, j) => {
    const path = `${at}.dependsOn[${j}]`;
    const earlier = seenAt.get(dep);
    if (earlier !== undefined) {
      problems.push({
        path,
        message: `depends on ${shown(dep)} again (already listed at dependsOn[${earlier}])`,
      });
      return;
    }
    seenAt.set(dep, j);
    if (dep === wp.id) {
      problems.push({ path, message: `depends on ${shown(dep)}, which is this package itself` });
    } else if (!firstIndex.has(dep)) {
      problems.push({
        path,
        message: `depends on ${shown(dep)}, which is not a package of this sprint`,
      });
    }
  });
  return problems;
}

// ---- dependency loops ----

/** One problem per tangle of packages that wait on each other (a strongly connected component). */
function cycleProblems(
  packages: readonly WorkPackageSpec[],
  firstIndex: ReadonlyMap<string, number>,
): SpecProblem[] {
  const graph = dependencyGraph(packages, firstIndex);
  return stronglyConnected(graph)
    .filter((component) => component.length > 1)
    .map((component) => {
      // No spread into Math.min and no includes() per member: a loop may hold 100,000 packages.
      const start = component.reduce((min, i) => Math.min(min, i));
      const loop = shortestLoop(start, graph, new Set(component));
      const ids = loop.map((i) => shown(packages[i]?.id ?? '?'));
      const onLoop = new Set(loop);
      const others = component
        .filter((i) => !onLoop.has(i))
        .sort((a, b) => a - b)
        .map((i) => shown(packages[i]?.id ?? '?'));
      const tangle = others.length
        ? `; ${shownList(others, ', ')} ${others.length === 1 ? 'is' : 'are'} caught in it too`
        : '';
      return {
        path: `packages[${start}].dependsOn`,
        message: `${shownList(ids, ' → ')} is a dependency loop (each package depends on the next), so none of them can start${tangle}`,
      };
    });
}

const LISTED_AT_EACH_END = 10;

/** A long list of ids as its first and last ones, with how many are left out between them. */
function shownList(items: readonly string[], separator: string): string {
  if (items.length <= 2 * LISTED_AT_EACH_END + 1) return items.join(separator);
  const left = items.length - 2 * LISTED_AT_EACH_END;
  return [
    ...items.slice(0, LISTED_AT_EACH_END),
    `… (${left} more)`,
    ...items.slice(-LISTED_AT_EACH_END),
  ].join(separator);
}

/**
 * Edges from each package (its first occurrence) to the packages it depends on. Self and
 * unknown dependencies are left out: they are reported on their own.
 */
function dependencyGraph(
  packages: readonly WorkPackageSpec[],
  firstIndex: ReadonlyMap<string, number>,
): number[][] {
  return packages.map((wp, i) => {
    if (firstIndex.get(wp.id) !== i) return [];
    const targets = new Set<number>();
    for (const dep of wp.dependsOn) {
      const target = firstIndex.get(dep);
      if (target !== undefined && target !== i) targets.add(target);
    }
    return [...targets];
  });
}

interface Frame {
  node: number;
  nextEdge: number;
}

/** Tarjan's algorithm with an explicit stack, so deep graphs never overflow the call stack. */
function stronglyConnected(graph: readonly (readonly number[])[]): number[][] {
  const order = new Array<number>(graph.length).fill(-1);
  const low = new Array<number>(graph.length).fill(0);
  const onStack = new Array<boolean>(graph.length).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;

  const enter = (node: number, frames: Frame[]) => {
    order[node] = low[node] = counter++;
    stack.push(node);
    onStack[node] = true;
    frames.push({ node, nextEdge: 0 });
  };

  for (let root = 0; root < graph.length; root++) {
    if (order[root] !== -1) continue;
    const frames: Frame[] = [];
    enter(root, frames);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as Frame;
      const { node } = frame;
      const edges = graph[node] ?? [];
      if (frame.nextEdge < edges.length) {
        const next = edges[frame.nextEdge++] as number;
        if (order[next] === -1) enter(next, frames);
        else if (onStack[next]) low[node] = Math.min(low[node] as number, order[next] as number);
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node] as number, low[node] as number);
      if (low[node] === order[node]) components.push(popComponent(stack, onStack, node));
    }
  }
  return components;
}

function popComponent(stack: number[], onStack: boolean[], root: number): number[] {
  const component: number[] = [];
  let member: number | undefined;
  do {
    member = stack.pop();
    if (member === undefined) break;
    onStack[member] = false;
    component.push(member);
  } while (member !== root);
  return component;
}

/** The shortest loop from `start` back to itself inside its component (breadth-first). */
function shortestLoop(
  start: number,
  graph: readonly (readonly number[])[],
  component: ReadonlySet<number>,
): number[] {
  const cameFrom = new Map<number, number>([[start, start]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as number;
    for (const next of graph[node] ?? []) {
      if (next === start) return [...pathTo(node, cameFrom), start];
      if (!component.has(next) || cameFrom.has(next)) continue;
      cameFrom.set(next, node);
      queue.push(next);
    }
  }
  return [start];
}

function pathTo(node: number, cameFrom: ReadonlyMap<number, number>): number[] {
  const path = [node];
  for (let at = node; cameFrom.get(at) !== at;) {
    at = cameFrom.get(at) as number;
    path.push(at);
  }
  return path.reverse();
}
