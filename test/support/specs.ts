import { planSprint } from '../../src/domain/plan';
import { initialProgress, reduceProgress } from '../../src/domain/progress-reducer';
import type { ProgressEvent, SprintProgress } from '../../src/domain/progress';
import type { SprintSpec, WorkPackageSpec } from '../../src/domain/spec';
import { checkSprintSpec } from '../../src/schemas/sprint-spec';

/** A package as the schema would give it (defaults filled in). */
export function wp(
  id: string,
  dependsOn: string[] = [],
  extra: Partial<WorkPackageSpec> = {},
): WorkPackageSpec {
  return {
    id,
    title: `Package ${id}`,
    dependsOn,
    run: 'true',
    external: false,
    priority: 'P1',
    mvp: false,
    ...extra,
  };
}

/** A sprint as the schema would give it (defaults filled in). */
export function sprint(packages: WorkPackageSpec[], extra: Partial<SprintSpec> = {}): SprintSpec {
  return {
    id: 'demo',
    repo: '.',
    base: 'main',
    strategy: 'waves',
    concurrency: 4,
    scope: 'full',
    packages,
    integration: { checks: [] },
    ...extra,
  };
}

/** The progress of a sprint file's fields (checked by the schema) as it starts at `at`. */
export function startedProgress(raw: Record<string, unknown>, at: number): SprintProgress {
  const checked = checkSprintSpec({ id: 's1', repo: '/repo', ...raw });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return initialProgress(checked.spec, planSprint(checked.spec), at, 'owner-1');
}

/** `state` after `events`, in order. */
export function applyEvents(state: SprintProgress, ...events: ProgressEvent[]): SprintProgress {
  return events.reduce(reduceProgress, state);
}
