import type { DayPlan } from './day-plan';
import type { PulledIn, SprintPlan } from './plan';

export { planJson } from './plan';
export type { PlanJson } from './plan';

const LABEL_WIDTH = 'Critical path'.length;

/** The plan as `sprintwave plan` prints it. */
export function renderPlan(plan: SprintPlan): string {
  return [
    header(plan),
    '',
    ...waveLines(plan.waves),
    '',
    labelled('Critical path', criticalPathText(plan)),
    labelled('Total', totalText(plan)),
    ...(plan.deferred.length ? [labelled('Deferred', plan.deferred.join(', '))] : []),
    ...(plan.pulledIn.length ? [labelled('Pulled in', pulledInText(plan.pulledIn))] : []),
    ...(plan.dayPlan ? dayLines(plan.dayPlan, plan.strategy) : []),
    ...warningLines(plan.warnings),
  ].join('\n');
}

function header(plan: SprintPlan): string {
  const name = plan.title ? `${plan.id} — ${plan.title}` : plan.id;
  return `${name} (strategy ${plan.strategy}, concurrency ${plan.concurrency}, scope ${plan.scope})`;
}

function waveLines(waves: readonly string[][]): string[] {
  if (waves.length === 0) return ['No packages to run'];
  const width = `Wave ${waves.length}`.length;
  return waves.map((wave, i) => `${`Wave ${i + 1}`.padEnd(width)}  ${wave.join(' + ')}`);
}

/** Without any points, a path counted as 1 a package would read as points nobody gave. */
function criticalPathText(plan: SprintPlan): string {
  const size = plan.points
    ? count(plan.criticalPathPoints, 'point')
    : count(plan.criticalPath.length, 'package');
  return `${plan.criticalPath.join(' → ')} (${size})`;
}

function totalText(plan: SprintPlan): string {
  const packages = count(plan.packages, 'package');
  return plan.points ? `${packages}, ${count(plan.points, 'point')}` : packages;
}

function pulledInText(pulledIn: readonly PulledIn[]): string {
  return pulledIn.map(({ id, neededBy }) => `${id} (needed by ${neededBy.join(', ')})`).join(', ');
}

function dayLines(days: DayPlan, strategy: SprintPlan['strategy']): string[] {
  const width = `Day ${days.days.length}`.length;
  return [
    '',
    `Days (capacity ${count(days.capacity, 'point')} a day)`,
    ...days.days.map((day) => {
      const label = `Day ${day.day}`.padEnd(width);
      const date = day.date ? ` ${day.date}` : '';
      const what = day.packages.length ? day.packages.join(' + ') : '—';
      const flag = day.overCapacity ? '  (over capacity)' : '';
      return `  ${label}${date}  ${what}  ${count(day.points, 'point')}${flag}`;
    }),
    ...(days.unplaced.length
      ? [`  Does not fit: ${days.unplaced.map((wp) => wp.id).join(', ')}`]
      : []),
    ...(strategy === 'waves' ? WAVES_WAIT : []),
  ];
}

/** With waves, a whole wave must end first, which a later day's package of it can hold up. */
const WAVES_WAIT = [
  '  With strategy waves a package also waits for every package of the waves before it, so it',
  '  can start after its day begins; strategy eager starts it once its own dependencies are done.',
];

function warningLines(warnings: readonly string[]): string[] {
  if (warnings.length === 0) return [];
  return ['', 'Warnings', ...warnings.map((warning) => `  ! ${warning}`)];
}

function labelled(label: string, text: string): string {
  return `${label.padEnd(LABEL_WIDTH)}  ${text}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
