import { agentLabel, overallProgress, packagePercent, taskCounts, waitsForDay } from './progress';
import { failureOutput } from './failure-output';
import { conflictText } from './rehearsal';
import type { PackageProgress, PackageStatus, SprintProgress, SprintStatus } from './progress';

/** The pieces the progress table and its compact form are made of. */

export const STATUS_MARK: Record<PackageStatus, string> = {
  pending: '⏳ Pending',
  in_progress: '🔄 In Progress',
  completed: '✅ Completed',
  failed: '❌ Failed',
  blocked: '⛔ Blocked',
  cancelled: '🚫 Cancelled',
  deferred: '⏸️ Deferred',
};

const SPRINT_HEADER: Record<SprintStatus, string> = {
  running: '🔄 Sprint Progress',
  completed: '✅ Sprint Completed',
  failed: '❌ Sprint Failed',
  cancelled: '⏹ Sprint Cancelled',
};

export const TABLE_HEADER = [
  '| Package | Agent | Status | Files | Progress |',
  '|---------|-------|--------|-------|----------|',
];

/** The package's status as tables and the live view show it, at `now`. */
export function statusText(wp: PackageProgress, now: number): string {
  if (!waitsForDay(wp, now)) return STATUS_MARK[wp.status];
  return `📅 Waiting for day ${wp.day ?? '?'} (${formatTime(wp.dayStartsAt ?? now)})`;
}

/** `1 file`, `2 files`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Lines as a Markdown code block, indented under a list item; the fence is longer than any
 * run of backticks in the lines, so the output cannot close it.
 */
export function codeBlock(lines: readonly string[], indent = ''): string[] {
  const longest = Math.max(
    2,
    ...lines.map((line) => Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length))),
  );
  const fence = '`'.repeat(longest + 1);
  return [fence, ...lines, fence].map((line) => `${indent}${line}`);
}

/** `2025-10-19 16:30:00` in UTC, as the progress table shows times. */
export function formatTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Text made safe for one table cell or one list line. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function packageRow(wp: PackageProgress, now: number): string {
  const files = `${wp.filesCompleted}/${wp.filesTotal}`;
  const tasks = taskCounts(wp);
  const progress = `${packagePercent(wp)}%${tasks ? ` (${tasks.completed}/${tasks.total} tasks)` : ''}`;
  return `| ${cell(wp.id)} | ${cell(agentLabel(wp))} | ${statusText(wp, now)} | ${files} | ${progress} |`;
}

/** A note under the table; a failed package's note carries the end of its output. */
export function noteLines(wp: PackageProgress): string[] {
  const line = `- ${cell(wp.id)}: ${cell(wp.note ?? '')}`;
  if (wp.status !== 'failed') return [line];
  const output = failureOutput(wp);
  return output.length ? [line, ...codeBlock(output, '  ')] : [line];
}

/** Headline, mode and start: the lines above the table. */
export function tableHeading(state: SprintProgress): string[] {
  const overall = overallProgress(state);
  return [
    `## ${SPRINT_HEADER[state.status]}: ${cell(state.title ?? state.id)}`,
    '',
    `**${cell(state.headline)}**`,
    '',
    `**Mode:** ${state.strategy === 'eager' ? 'Eager' : 'Waves'} (${overall.packages} packages, ${state.waves.length} waves, up to ${state.concurrency} at once)`,
    `**Started:** ${formatTime(state.startedAt)}`,
  ];
}

/** The Overall line under the table, and the pull request once there is one. */
export function overallLines(state: SprintProgress): string[] {
  const overall = overallProgress(state);
  const lines = [
    `**Overall:** ${overall.percent}% (${overall.filesCompleted}/${overall.filesTotal} files${overallTasks(state)})`,
  ];
  const pullRequestUrl = state.delivery?.pullRequest?.url;
  if (pullRequestUrl) lines.push(`**Pull request:** ${pullRequestUrl}`);
  return [...lines, ...predictedConflictLines(state)];
}

const CONFLICTS_SHOWN = 10;

/**
 * What the merge rehearsal predicts, until the final merge decides: people can still rebase a
 * package or add a dependency and retry.
 */
export function predictedConflictLines(state: SprintProgress): string[] {
  const conflicts = state.predictedConflicts ?? [];
  if (!conflicts.length || state.integration.status !== 'pending') return [];
  const more = conflicts.length - CONFLICTS_SHOWN;
  return [
    '',
    `**⚠️ Predicted merge conflicts** (${conflicts.length}; the final merge decides):`,
    ...conflicts.slice(0, CONFLICTS_SHOWN).map((conflict) => `- ${cell(conflictText(conflict))}`),
    ...(more > 0 ? [`- and ${more} more`] : []),
  ];
}

/** `, 5/32 tasks` over the in-scope packages that have a checklist; empty when none has. */
function overallTasks(state: SprintProgress): string {
  let completed = 0;
  let total = 0;
  for (const wp of state.packages) {
    const tasks = wp.status === 'deferred' ? undefined : taskCounts(wp);
    completed += tasks?.completed ?? 0;
    total += tasks?.total ?? 0;
  }
  return total ? `, ${completed}/${total} tasks` : '';
}

/** Where every package's status can be read when a comment shows only some of them. */
export function fullStatusLine(sprintId: string): string {
  const path = `/sprints/${encodeURIComponent(sprintId)}`;
  return `**Full status:** \`sprintwave status ${sprintId} --json\`, or \`GET ${path}\` on the HTTP API`;
}
