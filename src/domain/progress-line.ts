/** How many lines of a command's output are kept for reports and failures. */
export const OUTPUT_TAIL_LINES = 200;

/** Longer lines are cut: one runaway line must not fill the tail (or workflow history). */
export const MAX_LINE_CHARS = 4_000;

export interface ProgressLine {
  done: number;
  total: number;
  note?: string;
}

const PROGRESS = /^::progress\s+(\d+)\/(\d+)(?:\s+(.*))?$/;

/** Parses `::progress <done>/<total> [note]`; undefined for anything else or impossible counts. */
export function parseProgressLine(line: string): ProgressLine | undefined {
  const match = PROGRESS.exec(line.trim());
  if (!match) return undefined;
  const done = Number(match[1]);
  const total = Number(match[2]);
  if (!Number.isSafeInteger(done) || !Number.isSafeInteger(total)) return undefined;
  if (total < 1 || done > total) return undefined;
  const note = match[3]?.trim();
  return note ? { done, total, note } : { done, total };
}

const DONE = /^::done\s+(\S+)(?:\s.*)?$/;

/** Parses `::done <task id> [note]`, which ticks off one task of the package's checklist. */
export function parseDoneLine(line: string): string | undefined {
  return DONE.exec(line.trim())?.[1];
}

/** Splits a stream of text chunks into lines, whatever the chunk boundaries; cuts long lines. */
export class LineSplitter {
  private partial = '';
  private dropped = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars = MAX_LINE_CHARS,
  ) {}

  write(chunk: string): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      if (newline === -1) {
        this.append(chunk.slice(start));
        return;
      }
      this.append(chunk.slice(start, newline));
      this.emit();
      start = newline + 1;
    }
  }

  /** Emits a last line that had no newline. */
  end(): void {
    if (this.partial.length > 0 || this.dropped > 0) this.emit();
  }

  private append(part: string): void {
    let room = this.maxLineChars - this.partial.length;
    if (part.length <= room) {
      this.partial += part;
      return;
    }
    // Never cut a surrogate pair in half.
    if (room > 0 && isHighSurrogate(part.charCodeAt(room - 1))) room -= 1;
    this.partial += part.slice(0, Math.max(room, 0));
    this.dropped += part.length - Math.max(room, 0);
  }

  private emit(): void {
    let line = this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial;
    if (this.dropped > 0) line += `…[+${this.dropped} chars]`;
    this.partial = '';
    this.dropped = 0;
    this.onLine(line);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Keeps the last `maxLines` lines of some output, in order. */
export class LineTail {
  private readonly kept: string[] = [];
  private readonly splitter: LineSplitter;
  private seen = 0;

  constructor(
    private readonly maxLines = OUTPUT_TAIL_LINES,
    maxLineChars = MAX_LINE_CHARS,
  ) {
    this.splitter = new LineSplitter((line) => this.add(line), maxLineChars);
  }

  /** Adds text that may hold several lines or part of one. */
  write(chunk: string): void {
    this.splitter.write(chunk);
  }

  /** Keeps a last line that had no newline. */
  end(): void {
    this.splitter.end();
  }

  /** Adds one complete line (already split and capped by the caller's own splitter). */
  add(line: string): void {
    this.seen += 1;
    this.kept.push(line);
    if (this.kept.length > this.maxLines) this.kept.shift();
  }

  /** How many lines went through, kept or not. */
  get totalLines(): number {
    return this.seen;
  }

  lines(): string[] {
    return [...this.kept];
  }
}
