import { compactProgressTable, packagesNeedingAPerson } from './compact-progress';
import { formatDuration } from './duration';
import { COMMENT_BUDGET, fittedText, fullText } from './fitted-text';
import type { BoundedList, Part } from './fitted-text';
import { overallProgress } from './progress';
import { failureOutput } from './failure-output';
import { reduceProgress } from './progress-reducer';
import type { PackageProgress, PullRequestReport, SprintProgress } from './progress';
import {
  STATUS_MARK,
  TABLE_HEADER,
  cell,
  codeBlock,
  fullStatusLine,
  noteLines,
  overallLines,
  packageRow,
  plural,
  tableHeading,
} from './progress-markdown';

export { STATUS_MARK, codeBlock, formatTime, plural, statusText } from './progress-markdown';

/**
 * The progress table of a sprint: headline, mode, start, one row per package, the Overall line.
 * `now` tells packages waiting for their day from those waiting for their turn. When that is
 * longer than `budget` (UTF-16 code units; by default what a GitHub comment holds), the compact
 * form: counts per status, the packages that need a person, and where the full status is.
 */
export function renderProgressTable(
  state: SprintProgress,
  now: number = Date.now(),
  budget: number = COMMENT_BUDGET,
): string {
  const full = fullProgressTable(state, now);
  return full.length <= budget ? full : compactProgressTable(state, now, budget);
}

function fullProgressTable(state: SprintProgress, now: number): string {
  const lines = [
    ...tableHeading(state),
    '',
    ...TABLE_HEADER,
    ...state.packages.map((wp) => packageRow(wp, now)),
    '',
    ...overallLines(state),
  ];
  const notes = state.packages.filter((wp) => wp.note && wp.status !== 'completed');
  if (notes.length) {
    lines.push('', ...notes.flatMap(noteLines));
  }
  return lines.join('\n');
}

/**
 * The final summary: duration, packages, files, merge results, conflicts, integration checks.
 * Longer than `budget`, it counts the merged packages instead of listing them, and its other
 * lists show what fits.
 */
export function renderSummary(state: SprintProgress, budget: number = COMMENT_BUDGET): string {
  const full = fullText(summaryParts(state, false));
  return full.length <= budget ? full : fittedText(summaryParts(state, true), budget);
}

function summaryParts(state: SprintProgress, compact: boolean): Part[] {
  const overall = overallProgress(state);
  const duration = (state.finishedAt ?? state.startedAt) - state.startedAt;
  const integration = state.integration;
  const icon = state.status === 'completed' ? '🎉' : state.status === 'cancelled' ? '🚫' : '❌';
  const head = [
    `## ${icon} Final Summary: sprint ${state.status}`,
    '',
    `**Total Duration:** ${formatDuration(duration)}`,
    `**Packages:** ${overall.completed}/${overall.packages} completed` +
      (overall.failed ? `, ${overall.failed} failed` : ''),
    `**Total Files:** ${overall.filesCompleted}/${overall.filesTotal}`,
    ...(compact ? [fullStatusLine(state.id)] : []),
    '',
    '### Merge Results',
    '',
  ];
  const parts: Part[] = [
    head,
    mergedLines(state, compact),
    bounded(notMerged(state, compact).map(notMergedLines), 'not merged'),
    ['', `Conflicts: ${integration.conflicts.length}`],
    bounded(
      integration.conflicts.map((conflict) => [
        `- ${conflict.wpId} (\`${conflict.branch}\`): ${conflict.files.map((f) => `\`${f}\``).join(', ')}`,
      ]),
      'conflicting',
    ),
    ['', `Integration checks: ${checksVerdict(state)}`],
    bounded(
      integration.checks.map((check) => [
        `- ${check.passed ? '✅' : '❌'} \`${cell(check.command)}\` (exit ${check.exitCode}, ${formatDuration(check.durationMs)})`,
      ]),
      'checks',
    ),
  ];
  if (integration.error) parts.push(['', `Integration error: ${cell(integration.error)}`]);
  parts.push(...deliveryParts(state));
  if (state.github?.status === 'disabled') {
    parts.push([
      '',
      `GitHub updates were switched off for this sprint: ${cell(state.github.error ?? 'unknown error')}`,
    ]);
  }
  if (state.reasons.length && state.status !== 'completed') {
    parts.push(
      ['', '### Why the sprint did not complete', ''],
      bounded(
        state.reasons.map((r) => [`- ${cell(r)}`]),
        'reasons',
      ),
    );
  }
  return parts;
}

/** A list item per entry; in a compact text, `- …and 12 more <what>` for those that do not fit. */
function bounded(items: string[][], what: string): BoundedList {
  return { items, more: (left) => [`- …and ${left} more ${what}`] };
}

/** What was merged: a line per package, or in a compact text one line for them all. */
function mergedLines(state: SprintProgress, compact: boolean): string[] {
  const integration = state.integration;
  if (integration.status === 'skipped')
    return [`Nothing merged: ${integration.error ?? 'skipped'}.`];
  if (!integration.merged.length) return ['Nothing merged.'];
  const byId = new Map(state.packages.map((wp) => [wp.id, wp]));
  const files = (id: string): number => byId.get(id)?.filesChanged ?? 0;
  const merged = compact
    ? [
        `- ${plural(integration.merged.length, 'package')}: ${plural(
          integration.merged.reduce((sum, id) => sum + files(id), 0),
          'file',
        )} integrated`,
      ]
    : integration.merged.map((id) => `- ${id}: ${plural(files(id), 'file')} integrated`);
  return [
    integration.conflicts.length
      ? `Merged into \`${integration.branch}\` with conflicts.`
      : `All completed packages merged into \`${integration.branch}\`.`,
    '',
    ...merged,
  ];
}

/** The packages not merged, in sprint order; in a compact text those that need a person first. */
function notMerged(state: SprintProgress, compact: boolean): PackageProgress[] {
  const left = state.packages.filter((wp) => wp.status !== 'completed');
  if (!compact) return left;
  const first = packagesNeedingAPerson(state);
  const shown = new Set(first);
  return [...first, ...left.filter((wp) => !shown.has(wp))];
}

function notMergedLines(wp: PackageProgress): string[] {
  const line = `- ${wp.id}: not merged (${STATUS_MARK[wp.status]}${whyNotMerged(wp)})`;
  const output = wp.status === 'failed' ? failureOutput(wp) : [];
  return output.length ? [line, ...codeBlock(output, '  ')] : [line];
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
function deliveryParts(state: SprintProgress): Part[] {
  const delivery = state.delivery;
  if (!delivery) return [];
  const head = ['', '### Delivery', ''];
  const remote = `\`${cell(delivery.remote ?? 'the remote')}\``;
  if (delivery.error) head.push(`Push to ${remote} failed: ${cell(delivery.error)}`);
  else if (delivery.notPushed)
    head.push(`Nothing pushed to ${remote}: ${cell(delivery.notPushed)}.`);
  const pushed = delivery.pushed.map(({ branch, commit, unchanged }) => [
    `- \`${branch}\` ${unchanged ? 'already on' : 'pushed to'} ${remote} at \`${commit.slice(0, 7)}\``,
  ]);
  const parts: Part[] = [head, bounded(pushed, 'branches')];
  const pull = delivery.pullRequest;
  if (pull) {
    const above = head.length > 3 || pushed.length > 0;
    parts.push([...(above ? [''] : []), `**Pull request:** ${pullRequestText(pull)}`]);
  }
  return parts;
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
