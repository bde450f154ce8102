import { packageWorkflowId } from './ids';
import { planSprint } from './plan';
import { codeBlock, plural } from './render-progress';
import { hasChildWorkflow } from './progress';
import type { PackageProgress } from './progress';
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

/**
 * Web UI pages of a sprint and of its packages' child workflows: only of those that were
 * started, since the others have no page.
 */
export function sprintWebUiLinks(
  ui: WebUiAddress,
  sprint: { id: string; packages: ReadonlyArray<PackageProgress> },
): SprintWebUiLinks {
  const packages: Record<string, string> = {};
  for (const wp of sprint.packages.filter(hasChildWorkflow)) {
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

/**
 * What the Web UI shows beside a package's child workflow, as Markdown: a paragraph per fact,
 * the command in a code block so it reads as written.
 */
export function packageDetails(sprintId: string, wp: WorkPackageSpec): string {
  const facts = [`sprint ${sprintId}`, `priority ${wp.priority}`];
  if (wp.points !== undefined) facts.push(plural(wp.points, 'point'));
  if (wp.mvp) facts.push('MVP');
  const parts = [facts.join(' · ')];
  parts.push(wp.dependsOn.length ? `Depends on ${wp.dependsOn.join(', ')}` : 'No dependencies');
  if (wp.external) parts.push('Done externally, reported through the HTTP API');
  else if (wp.agent) parts.push(`Agent: ${wp.agent}`);
  else parts.push(['Command:', ...codeBlock((wp.run ?? '').split(/\r?\n/))].join('\n'));
  return parts.join('\n\n');
}

/** Where a sprint's status JSON is read; `apiUrl` is the HTTP API's address, when known. */
export function statusJsonPlace(sprintId: string, apiUrl?: string): string {
  const path = `/sprints/${encodeURIComponent(sprintId)}`;
  const api = apiUrl ? `GET ${apiUrl.replace(/\/+$/, '')}${path}` : `GET ${path} on the HTTP API`;
  return `\`sprintwave status ${sprintId} --json\`, or \`${api}\``;
}

const DETAIL_WAVES = 20;
const DETAIL_IDS = 12;

function listed(ids: readonly string[], most: number): string {
  const shown = ids.slice(0, most).join(' + ');
  return ids.length > most ? `${shown} + ${ids.length - most} more` : shown;
}

/** What the Web UI shows beside a sprint: its waves, how many packages run at once, its status JSON. */
export function sprintDetails(spec: SprintSpec, apiUrl?: string): string {
  const plan = planSprint(spec);
  const how = [
    `${spec.strategy === 'eager' ? 'Eager' : 'Waves'}`,
    `up to ${spec.concurrency} at once`,
    `scope ${spec.scope}`,
    plural(plan.packages, 'package'),
  ];
  // Bounded: the Web UI's details of a 1,000-package sprint stay a page, not a book.
  const shownWaves = plan.waves.slice(0, DETAIL_WAVES);
  const waves = shownWaves.map((wave, i) => `${i + 1}. ${listed(wave, DETAIL_IDS)}`);
  if (plan.waves.length > DETAIL_WAVES) waves.push(`… ${plan.waves.length - DETAIL_WAVES} more`);
  const parts = [how.join(' · '), ['Waves:', '', ...waves].join('\n')];
  if (plan.deferred.length) parts.push(`Deferred: ${plan.deferred.join(', ')}`);
  parts.push(`Status JSON: ${statusJsonPlace(spec.id, apiUrl)}`);
  return parts.join('\n\n');
}
