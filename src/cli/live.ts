import { MultiBar, Presets } from 'cli-progress';
import type { SingleBar } from 'cli-progress';
import { isTerminal } from '../domain/progress';
import type { SprintProgress } from '../domain/progress';
import { STATUS_MARK, formatTime } from '../domain/render-progress';
import { sprintStatusJson } from '../schemas/status-json';
import type { PackageStatusJson, StatusJson } from '../schemas/status-json';
import type { CliIO } from './io';

/** Shows the status JSON (from the API) or the sprint's state (from Temporal, as its JSON). */
export interface LiveView {
  update(state: StatusJson | SprintProgress): void;
  stop(): void;
}

function asStatusJson(state: StatusJson | SprintProgress): StatusJson {
  return 'overall' in state ? state : sprintStatusJson(state);
}

/** A bar per package on a terminal; plain lines, one per change, anywhere else. */
export function createLiveView(io: CliIO): LiveView {
  return io.isTTY ? new BarsView() : new LinesView(io);
}

class BarsView implements LiveView {
  private readonly multi = new MultiBar(
    {
      format: ' {name} {bar} {percentage}% | {status} | {files}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 24,
      etaBuffer: 1,
    },
    Presets.shades_classic,
  );
  private readonly bars = new Map<string, SingleBar>();
  private readonly failuresShown = new Set<string>();
  private overall?: SingleBar;

  update(sprint: StatusJson | SprintProgress): void {
    const state = asStatusJson(sprint);
    const width = Math.max(7, ...state.packages.map((wp) => wp.id.length));
    const { current, waves } = waveOf(state);
    const all = state.overall;
    this.overall ??= this.multi.create(100, 0);
    this.overall.update(all.percent, {
      name: 'Overall'.padEnd(width),
      status: current ? `wave ${current}/${waves}` : state.headline,
      files: `${all.filesCompleted}/${all.filesTotal} files`,
    });
    for (const wp of state.packages) {
      let bar = this.bars.get(wp.id);
      if (!bar) {
        bar = this.multi.create(100, 0);
        this.bars.set(wp.id, bar);
      }
      bar.update(wp.percent, {
        name: wp.id.padEnd(width),
        status: statusText(wp, Date.now()),
        files: `${wp.filesCompleted}/${wp.filesTotal} files${wp.note ? ` · ${wp.note.slice(0, 40)}` : ''}`,
      });
      this.showFailure(wp);
    }
  }

  /** A failed attempt's output once, above the bars: a bar has room for 40 characters of it. */
  private showFailure(wp: PackageStatusJson): void {
    const key = `${wp.id}#${wp.attempt}`;
    if (wp.status !== 'failed' || this.failuresShown.has(key)) return;
    this.failuresShown.add(key);
    const lines = failureLines(wp);
    if (lines.length) this.multi.log(`${lines.join('\n')}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
}

class LinesView implements LiveView {
  private readonly seen = new Map<string, string>();
  private lastHeadline = '';

  constructor(private readonly io: CliIO) {}

  update(sprint: StatusJson | SprintProgress): void {
    const state = asStatusJson(sprint);
    for (const wp of state.packages) {
      const line = describe(wp);
      if (this.seen.get(wp.id) === line) continue;
      this.seen.set(wp.id, line);
      this.io.out(`${clock()} ${line}`);
      if (wp.status === 'failed') for (const output of failureLines(wp)) this.io.out(output);
    }
    if (state.headline !== this.lastHeadline && state.headline.startsWith('Merg')) {
      this.io.out(`${clock()} ${state.headline}`);
    }
    this.lastHeadline = state.headline;
  }

  stop(): void {}
}

/** The lowest wave still running or waiting (0 when none), and how many waves there are. */
function waveOf(state: StatusJson): { current: number; waves: number } {
  let current = Infinity;
  let waves = 0;
  for (const wp of state.packages) {
    if (!isTerminal(wp.status) && wp.wave < current) current = wp.wave;
    waves = Math.max(waves, wp.wave);
  }
  return { current: current === Infinity ? 0 : current, waves };
}

/** The package's status; a package of a multi-day sprint whose day has not come says so. */
function statusText(wp: PackageStatusJson, now: number): string {
  const dayStartsAt = wp.dayStartsAt === undefined ? undefined : Date.parse(wp.dayStartsAt);
  if (wp.status !== 'pending' || dayStartsAt === undefined || dayStartsAt <= now) {
    return STATUS_MARK[wp.status];
  }
  return `📅 Waiting for day ${wp.day ?? '?'} (${formatTime(dayStartsAt)})`;
}

function describe(wp: PackageStatusJson): string {
  const files = wp.filesTotal ? ` ${wp.filesCompleted}/${wp.filesTotal} files` : '';
  const agent = wp.agent === undefined ? '' : ` (${wp.agent})`;
  const note = wp.note ? ` — ${wp.note}` : '';
  return `${wp.id} ${statusText(wp, Date.now())}${agent}${files}${note}`;
}

/** The end of a failed package's output (cut and cleaned in its JSON), indented under its line. */
export function failureLines(wp: PackageStatusJson): string[] {
  const output = wp.status === 'failed' ? (wp.outputTail ?? []) : [];
  return output.length
    ? [`  ${wp.id} output (last ${output.length} lines):`, ...output.map((line) => `  │ ${line}`)]
    : [];
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
