import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Mutex } from 'async-mutex';

/**
 * An append-only JSON-lines file in which each id is written at most once.
 *
 * The ids already in the file are kept in memory and reloaded whenever the file changed
 * behind our back (another process, a restore), detected by its size, mtime and inode.
 * A last line without its '\n' is what a crash mid-append leaves: it is cut off before the
 * next append, and the retried append writes it again in full.
 * Exclusion is per process (a mutex per file); across processes, appends of
 * whole lines with O_APPEND do not interleave, and a duplicate line is skipped on reading.
 */
export class JsonlLog {
  private ids = new Set<string>();
  private stamp: string | undefined;
  private readonly mutex = new Mutex();

  constructor(
    readonly file: string,
    private readonly idOf: (record: unknown) => string | undefined,
  ) {}

  /** Runs `work` with this file to itself (within this process); `knownIds`/`append` need it. */
  locked<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex.runExclusive(work);
  }

  /** The ids in the file. Call inside `locked`. */
  async knownIds(): Promise<ReadonlySet<string>> {
    const current = await fileStamp(this.file);
    if (current !== this.stamp) await this.reload();
    return this.ids;
  }

  /** Appends the records whose id is not in the file yet (one write, then fsync); returns their ids. */
  async append(entries: ReadonlyArray<{ id: string; record: unknown }>): Promise<string[]> {
    const known = await this.knownIds();
    const fresh = new Map<string, string>();
    for (const { id, record } of entries) {
      if (!known.has(id) && !fresh.has(id)) fresh.set(id, `${JSON.stringify(record)}\n`);
    }
    if (fresh.size === 0) return [];

    await mkdir(path.dirname(this.file), { recursive: true });
    this.stamp = undefined; // a failed write forces a reload (and the cut of a partial line)
    const handle = await open(this.file, 'a');
    try {
      await handle.appendFile([...fresh.values()].join(''));
      await handle.sync();
      this.stamp = stampOf(await handle.stat());
    } finally {
      await handle.close();
    }
    for (const id of fresh.keys()) this.ids.add(id);
    return [...fresh.keys()];
  }

  private async reload(): Promise<void> {
    const { records, completeBytes, size } = await readJsonl(this.file);
    if (completeBytes < size) await cutAt(this.file, completeBytes);
    this.ids = new Set();
    for (const record of records) {
      const id = this.idOf(record);
      if (id !== undefined) this.ids.add(id);
    }
    this.stamp = await fileStamp(this.file);
  }
}

const logs = new Map<string, JsonlLog>();

/** The one JsonlLog of a file in this process (so its mutex and id set are shared). */
export function jsonlLog(file: string, idOf: (record: unknown) => string | undefined): JsonlLog {
  const key = path.resolve(file);
  let log = logs.get(key);
  if (!log) {
    log = new JsonlLog(key, idOf);
    logs.set(key, log);
  }
  return log;
}

/**
 * The records of the complete lines, in file order; an unfinished last line and lines that
 * do not parse are left out. A missing file is empty.
 */
export async function readJsonl(
  file: string,
): Promise<{ records: unknown[]; completeBytes: number; size: number }> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    if (isMissing(error)) return { records: [], completeBytes: 0, size: 0 };
    throw error;
  }
  const completeBytes = data.lastIndexOf(0x0a) + 1; // '\n' never occurs inside a UTF-8 sequence
  const records: unknown[] = [];
  for (const line of data.subarray(0, completeBytes).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // a corrupt line in the middle: skipped, the rest of the queue stays readable
    }
  }
  return { records, completeBytes, size: data.length };
}

async function cutAt(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fileStamp(file: string): Promise<string> {
  try {
    return stampOf(await stat(file));
  } catch (error) {
    if (isMissing(error)) return 'missing';
    throw error;
  }
}

function stampOf(s: { size: number; mtimeMs: number; ino: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
