import { formatDuration } from './duration';
import {
  agentLabel,
  failureOutput,
  overallProgress,
  packagePercent,
  reduceProgress,
  taskCounts,
  waitsForDay,
} from './progress';
import type {
  PackageProgress,
  PackageStatus,
  PullRequestReport,
  SprintProgress,
  SprintStatus,
} from './progress';

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

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function row(wp: PackageProgress, now: number): string {
  const files = `${wp.filesCompleted}/${wp.filesTotal}`;
  const tasks = taskCounts(wp);
  const progress = `${packagePercent(wp)}%${tasks ? ` (${tasks.completed}/${tasks.total} tasks)` : ''}`;
  return `| ${cell(wp.id)} | ${cell(agentLabel(wp))} | ${statusText(wp, now)} | ${files} | ${progress} |`;
}

/** A note under the table; a failed package's note carries the end of its output. */
function noteLines(wp: PackageProgress): string[] {
  const line = `- ${cell(wp.id)}: ${cell(wp.note ?? '')}`;
  if (wp.status !== 'failed') return [line];
  const output = failureOutput(wp);
  return output.length ? [line, ...codeBlock(output, '  ')] : [line];
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

/**
 * The progress table of a sprint: headline, mode, start, one row per package, the Overall line.
 * `now` tells packages waiting for their day from those waiting for their turn.
 */
export function renderProgressTable(state: SprintProgress, now: number = Date.now()): string {
  const overall = overallProgress(state);
  const lines = [
    `## ${SPRINT_HEADER[state.status]}: ${cell(state.title ?? state.id)}`,
    '',
    `**${cell(state.headline)}**`,
    '',
    `**Mode:** ${state.strategy === 'eager' ? 'Eager' : 'Waves'} (${overall.packages} packages, ${state.waves.length} waves, up to ${state.concurrency} at once)`,
    `**Started:** ${formatTime(state.startedAt)}`,
    '',
    '| Package | Agent | Status | Files | Progress |',
    '|---------|-------|--------|-------|----------|',
    ...state.packages.map((wp) => row(wp, now)),
    '',
    `**Overall:** ${overall.percent}% (${overall.filesCompleted}/${overall.filesTotal} files${overallTasks(state)})`,
  ];
  const pullRequestUrl = state.delivery?.pullRequest?.url;
  if (pullRequestUrl) lines.push(`**Pull request:** ${pullRequestUrl}`);
  const notes = state.packages.filter((wp) => wp.note && wp.status !== 'completed');
  if (notes.length) {
    lines.push('', ...notes.flatMap(noteLines));
  }
  return lines.join('\n');
}

/** The final summary: duration, packages, files, merge results, conflicts, integration checks. */
export function renderSummary(state: SprintProgress): string {
  const overall = overallProgress(state);
  const duration = (state.finishedAt ?? state.startedAt) - state.startedAt;
  const integration = state.integration;
  const icon = state.status === 'completed' ? '🎉' : state.status === 'cancelled' ? '🚫' : '❌';
  const lines = [
    `## ${icon} Final Summary: sprint ${state.status}`,
    '',
    `**Total Duration:** ${formatDuration(duration)}`,
    `**Packages:** ${overall.completed}/${overall.packages} completed` +
      (overall.failed ? `, ${overall.failed} failed` : ''),
    `**Total Files:** ${overall.filesCompleted}/${overall.filesTotal}`,
    '',
    '### Merge Results',
    '',
  ];
  const byId = new Map(state.packages.map((wp) => [wp.id, wp]));
  if (integration.status === 'skipped') {
    lines.push(`Nothing merged: ${integration.error ?? 'skipped'}.`);
  } else if (integration.merged.length) {
    lines.push(
      integration.conflicts.length
        ? `Merged into \`${integration.branch}\` with conflicts.`
        : `All completed packages merged into \`${integration.branch}\`.`,
      '',
      ...integration.merged.map(
        (id) => `- ${id}: ${plural(byId.get(id)?.filesChanged ?? 0, 'file')} integrated`,
      ),
    );
  } else {
    lines.push('Nothing merged.');
  }
  for (const wp of state.packages.filter((p) => p.status !== 'completed')) {
    lines.push(`- ${wp.id}: not merged (${STATUS_MARK[wp.status]}${whyNotMerged(wp)})`);
    const output = wp.status === 'failed' ? failureOutput(wp) : [];
    if (output.length) lines.push(...codeBlock(output, '  '));
  }
  lines.push('', `Conflicts: ${integration.conflicts.length}`);
  for (const conflict of integration.conflicts) {
    lines.push(
      `- ${conflict.wpId} (\`${conflict.branch}\`): ${conflict.files.map((f) => `\`${f}\``).join(', ')}`,
    );
  }
  lines.push('', `Integration checks: ${checksVerdict(state)}`);
  for (const check of integration.checks) {
    lines.push(
      `- ${check.passed ? '✅' : '❌'} \`${cell(check.command)}\` (exit ${check.exitCode}, ${formatDuration(check.durationMs)})`,
    );
  }
  if (integration.error) lines.push('', `Integration error: ${cell(integration.error)}`);
  lines.push(...deliveryLines(state));
  if (state.github?.status === 'disabled') {
    lines.push(
      '',
      `GitHub updates were switched off for this sprint: ${cell(state.github.error ?? 'unknown error')}`,
    );
  }
  if (state.reasons.length && state.status !== 'completed') {
    lines.push(
      '',
      '### Why the sprint did not complete',
      '',
      ...state.reasons.map((r) => `- ${cell(r)}`),
    );
  }
  return lines.join('\n');
}

function whyNotMerged(wp: PackageProgress): string {
  if (wp.error) return `: ${cell(wp.error)}`;
  if (wp.status === 'deferred' && wp.note) return `: ${cell(wp.note.replace(/^deferred: /, ''))}`;
  return '';
}

function checksVerdict(state: SprintProgress): string {
  const checks = state.integration.checks;
  if (checks.length === 0)
    return state.integration.conflicts.length ? 'NOT RUN (conflicts)' : 'none';
  return checks.every((check) => check.passed) ? 'PASSED' : 'FAILED';
}

/** Where the work went: the branches pushed (or why none were), and the pull request. */
function deliveryLines(state: SprintProgress): string[] {
  const delivery = state.delivery;
  if (!delivery) return [];
  const lines = ['', '### Delivery', ''];
  const remote = `\`${cell(delivery.remote ?? 'the remote')}\``;
  if (delivery.error) lines.push(`Push to ${remote} failed: ${cell(delivery.error)}`);
  else if (delivery.notPushed)
    lines.push(`Nothing pushed to ${remote}: ${cell(delivery.notPushed)}.`);
  for (const { branch, commit, unchanged } of delivery.pushed) {
    const verb = unchanged ? 'already on' : 'pushed to';
    lines.push(`- \`${branch}\` ${verb} ${remote} at \`${commit.slice(0, 7)}\``);
  }
  const pull = delivery.pullRequest;
  if (pull) {
    if (lines.length > 3) lines.push('');
    lines.push(`**Pull request:** ${pullRequestText(pull)}`);
  }
  return lines;
}

function pullRequestText(pull: PullRequestReport): string {
  if (pull.url) return `${pull.url}${pull.draft ? ' (draft)' : ''}`;
  if (pull.error) return `not written: ${cell(pull.error)}`;
  return cell(pull.note ?? 'none');
}

export interface FinalTexts {
  progress: string;
  summary: string;
}

/**
 * The final table and summary as they are written; `pullRequest` is what became of a pull
 * request handed on after the sprint ended, so the texts link it once it is open.
 */
export function renderFinalTexts(
  state: SprintProgress,
  pullRequest?: PullRequestReport,
): FinalTexts {
  const final = pullRequest
    ? reduceProgress(state, { type: 'pull-request-delivered', pullRequest })
    : state;
  return { progress: renderProgressTable(final), summary: renderSummary(final) };
}
