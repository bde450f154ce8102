import { MultiBar, Presets } from 'cli-progress';
import type { SingleBar } from 'cli-progress';
import { overallProgress, packagePercent } from '../domain/progress';
import type { PackageProgress, SprintProgress } from '../domain/progress';
import { currentWave } from '../domain/schedule';
import { STATUS_MARK } from '../domain/render-progress';
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
        status: STATUS_MARK[wp.status],
        files: `${wp.filesCompleted}/${wp.filesTotal} files${wp.note ? ` · ${wp.note.slice(0, 40)}` : ''}`,
      });
    }
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
  const agent = wp.agent ? ` (${wp.agent})` : '';
  const note = wp.note ? ` — ${wp.note}` : '';
  return `${wp.id} ${STATUS_MARK[wp.status]}${agent}${files}${note}`;
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
