import { packageWorkflowId } from './ids';
import type { SprintSpec, WorkPackageSpec } from './spec';

/** Where the Temporal Web UI serves a namespace. */
export interface WebUiAddress {
  /** Base URL of the Web UI, e.g. `http://127.0.0.1:8233`. */
  url: string;
  namespace: string;
}

/** The Web UI's page of one workflow. */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  const base = uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export interface SprintWebUiLinks {
  webUi: string;
  /** Package id → the page of its child workflow. */
  packages: Record<string, string>;
}

/** Web UI pages of a sprint and of each of its packages' child workflows. */
export function sprintWebUiLinks(
  ui: WebUiAddress,
  sprint: { id: string; packages: ReadonlyArray<{ id: string }> },
): SprintWebUiLinks {
  const packages: Record<string, string> = {};
  for (const wp of sprint.packages) {
    packages[wp.id] = workflowUrl(ui.url, ui.namespace, packageWorkflowId(sprint.id, wp.id));
  }
  return { webUi: workflowUrl(ui.url, ui.namespace, sprint.id), packages };
}

/** One line naming a sprint in the Web UI's workflow list. */
export function sprintSummary(spec: Pick<SprintSpec, 'id' | 'title'>): string {
  return spec.title ? `${spec.id} · ${spec.title}` : spec.id;
}

/** One line naming a package's child workflow: `WP03 · Title`. */
export function packageSummary(wp: Pick<WorkPackageSpec, 'id' | 'title'>): string {
  return `${wp.id} · ${wp.title}`;
}

/** What the Web UI shows beside a package's child workflow: a few plain lines. */
export function packageDetails(sprintId: string, wp: WorkPackageSpec): string {
  const facts = [`sprint ${sprintId}`, `priority ${wp.priority}`];
  if (wp.points !== undefined) facts.push(`${wp.points} points`);
  if (wp.mvp) facts.push('MVP');
  const lines = [facts.join(' · ')];
  lines.push(wp.dependsOn.length ? `Depends on ${wp.dependsOn.join(', ')}` : 'No dependencies');
  lines.push(
    wp.external ? 'Done externally, reported through the HTTP API' : `Command: ${wp.run ?? ''}`,
  );
  return lines.join('\n');
}
