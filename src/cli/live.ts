import { MultiBar, Presets } from 'cli-progress';
import type { SingleBar } from 'cli-progress';
import { agentLabel, failureOutput, overallProgress, packagePercent } from '../domain/progress';
import type { PackageProgress, SprintProgress } from '../domain/progress';
import { currentWave } from '../domain/schedule';
import { statusText } from '../domain/render-progress';
import type { CliIO } from './io';

export interface LiveView {
  update(state: SprintProgress): void;
  stop(): void;
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

  update(state: SprintProgress): void {
    const width = Math.max(7, ...state.packages.map((wp) => wp.id.length));
    const wave = currentWave(state);
    const all = overallProgress(state);
    this.overall ??= this.multi.create(100, 0);
    this.overall.update(all.percent, {
      name: 'Overall'.padEnd(width),
      status: wave ? `wave ${wave}/${state.waves.length}` : state.headline,
      files: `${all.filesCompleted}/${all.filesTotal} files`,
    });
    for (const wp of state.packages) {
      let bar = this.bars.get(wp.id);
      if (!bar) {
        bar = this.multi.create(100, 0);
        this.bars.set(wp.id, bar);
      }
      bar.update(packagePercent(wp), {
        name: wp.id.padEnd(width),
        status: statusText(wp, Date.now()),
        files: `${wp.filesCompleted}/${wp.filesTotal} files${wp.note ? ` · ${wp.note.slice(0, 40)}` : ''}`,
      });
      this.showFailure(wp);
    }
  }

  /** A failed attempt's output once, above the bars: a bar has room for 40 characters of it. */
  private showFailure(wp: PackageProgress): void {
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

  update(state: SprintProgress): void {
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

function describe(wp: PackageProgress): string {
  const files = wp.filesTotal ? ` ${wp.filesCompleted}/${wp.filesTotal} files` : '';
  const label = agentLabel(wp);
  const agent = label === '—' ? '' : ` (${label})`;
  const note = wp.note ? ` — ${wp.note}` : '';
  return `${wp.id} ${statusText(wp, Date.now())}${agent}${files}${note}`;
}

/** The end of a failed package's output, indented under its line. */
export function failureLines(wp: PackageProgress): string[] {
  const output = failureOutput(wp);
  return output.length
    ? [`  ${wp.id} output (last ${output.length} lines):`, ...output.map((line) => `  │ ${line}`)]
    : [];
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
