import type { SprintSpec, WorkPackageSpec } from '../../src/domain/spec';

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
