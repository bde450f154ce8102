import { parseDuration } from './duration';
import { defaultIntegrationBranch, packageBranch, unsafeIdReason } from './ids';
import type { SpecProblem, SprintSpec, WorkPackageSpec } from './spec';

const GITHUB_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Every problem of a sprint at once, each with its path (`packages[3].dependsOn[0]`) and a
 * sentence. An empty list means the sprint can be planned and run.
 */
export function validateSpec(spec: SprintSpec): SpecProblem[] {
  const firstIndex = firstIndexById(spec.packages);
  return [
    ...sprintProblems(spec),
    ...spec.packages.flatMap((wp, i) => packageProblems(spec, wp, i, firstIndex)),
    ...cycleProblems(spec.packages, firstIndex),
  ];
}

function firstIndexById(packages: readonly WorkPackageSpec[]): Map<string, number> {
  const first = new Map<string, number>();
  packages.forEach((wp, i) => {
    if (!first.has(wp.id)) first.set(wp.id, i);
  });
  return first;
}

function sprintProblems(spec: SprintSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (spec.packages.length === 0)
    add('packages', 'has no work packages: a sprint needs at least one');
  const idReason = unsafeIdReason(spec.id);
  if (idReason) add('id', unusableId(spec.id, idReason));
  if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1) {
    add('concurrency', `must be a whole number of at least 1, not ${spec.concurrency}`);
  }
  if (spec.deadline !== undefined && !isDurationOrIsoTime(spec.deadline)) {
    add(
      'deadline',
      `${spec.deadline} is neither a duration (8h, 2d) nor an ISO time (2026-12-01T17:00:00Z)`,
    );
  }
  if (spec.github && !GITHUB_REPO.test(spec.github.repo)) {
    add('github.repo', `${spec.github.repo} is not of the form owner/name`);
  }
  if (spec.capacity !== undefined && !spec.days) {
    add('capacity', 'is points per day, but the sprint has no days: add `days` (e.g. days: 10)');
  }
  return problems;
}

function packageProblems(
  spec: SprintSpec,
  wp: WorkPackageSpec,
  index: number,
  firstIndex: ReadonlyMap<string, number>,
): SpecProblem[] {
  const at = `packages[${index}]`;
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const first = firstIndex.get(wp.id);
  if (first !== undefined && first !== index) {
    add(`${at}.id`, `${wp.id} is already the id of packages[${first}]`);
  }
  const idReason = unsafeIdReason(wp.id);
  if (idReason) add(`${at}.id`, unusableId(wp.id, idReason));
  const clash = branchClash(spec, wp.id);
  if (clash) add(`${at}.id`, clash);
  const executor = executorProblem(wp);
  if (executor) add(at, executor);
  if (wp.timeout !== undefined && parseDuration(wp.timeout) === undefined) {
    add(
      `${at}.timeout`,
      `${wp.timeout} is not a duration: use a number and a unit, like 90s, 30m or 1h30m`,
    );
  }
  const lease = leaseProblem(wp);
  if (lease) add(`${at}.lease`, lease);
  if (wp.retry !== undefined && wp.external) {
    add(
      `${at}.retry`,
      `${wp.id} has retry but is external: its reporter decides what a new attempt starts from`,
    );
  }
  return [...problems, ...dependencyProblems(wp, at, firstIndex)];
}

function unusableId(id: string, reason: string): string {
  const shown = id === '' ? "''" : JSON.stringify(id).slice(1, -1);
  return `${shown} is not usable as a branch or folder name: ${reason}`;
}

/** A package branch must not be the integration branch, or the merge would target the package's own work. */
function branchClash(spec: SprintSpec, wpId: string): string | undefined {
  const integration = spec.integration.branch ?? defaultIntegrationBranch(spec.id);
  if (packageBranch(spec.id, wpId) !== integration) return undefined;
  return spec.integration.branch === undefined
    ? `${wpId} clashes with the default integration branch ${integration}: rename the package or set integration.branch`
    : `${wpId} clashes with integration.branch ${integration}: rename the package or the branch`;
}

function executorProblem(wp: WorkPackageSpec): string | undefined {
  if (wp.agent !== undefined) {
    const others = [wp.run !== undefined && 'run', wp.external && 'external: true'].filter(Boolean);
    return others.length
      ? `${wp.id} has agent and ${others.join(' and ')}; give it only one of run, external: true and agent`
      : undefined;
  }
  if (wp.prompt !== undefined) {
    return `${wp.id} has a prompt but no agent: add agent (claude, codex, aider or gemini) to use it`;
  }
  if (wp.run !== undefined && wp.external) {
    return `${wp.id} has both run and external: true; give it one or the other`;
  }
  if (wp.run === undefined && !wp.external) {
    return `${wp.id} has neither run nor external: true; give it a command to run or mark it external`;
  }
  return undefined;
}

function leaseProblem(wp: WorkPackageSpec): string | undefined {
  if (wp.lease === undefined) return undefined;
  if (!wp.external) {
    return `${wp.id} has a lease but is not external: only an external package reports, so only it can stall`;
  }
  if (parseDuration(wp.lease) === undefined) {
    return `${wp.lease} is not a duration: use a number and a unit, like 90s, 30m or 1h30m`;
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
        message: `depends on ${dep} again (already listed at dependsOn[${earlier}])`,
      });
      return;
    }
    seenAt.set(dep, j);
    if (dep === wp.id) {
      problems.push({ path, message: `depends on ${dep}, which is this package itself` });
    } else if (!firstIndex.has(dep)) {
      problems.push({ path, message: `depends on ${dep}, which is not a package of this sprint` });
    }
  });
  return problems;
}

function isDurationOrIsoTime(text: string): boolean {
  return (
    parseDuration(text) !== undefined || (ISO_TIME.test(text) && !Number.isNaN(Date.parse(text)))
  );
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
      const ids = loop.map((i) => packages[i]?.id ?? '?');
      const onLoop = new Set(loop);
      const others = component
        .filter((i) => !onLoop.has(i))
        .sort((a, b) => a - b)
        .map((i) => packages[i]?.id ?? '?');
      const tangle = others.length
        ? `; ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} caught in it too`
        : '';
      return {
        path: `packages[${start}].dependsOn`,
        message: `${ids.join(' → ')} is a dependency loop (each package depends on the next), so none of them can start${tangle}`,
      };
    });
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
