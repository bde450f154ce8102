import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coalesce } from '../../src/activities/coalesce';
import { runShellCommand } from '../../src/activities/executor';
import type { CommandProgress } from '../../src/activities/executor';

describe('runShellCommand and `::done <task>` lines', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'sprintwave-done-')));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports every task done so far with the latest counts, each task once', async () => {
    const seen: CommandProgress[] = [];
    const result = await runShellCommand({
      command: [
        "echo '::done T001'",
        "echo '::progress 1/4 first file'",
        "echo '::done T003 with a note'",
        "echo '::done T001'",
        'echo "  ::done T002"',
        "echo '::progress 2/4'",
      ].join('; '),
      cwd: dir,
      onProgress: (progress) => seen.push(progress),
    });
    expect(result.exitCode).toBe(0);
    expect(seen).toEqual([
      { done: 0, total: 0, tasksDone: ['T001'] },
      { done: 1, total: 4, note: 'first file', tasksDone: ['T001'] },
      { done: 1, total: 4, note: 'first file', tasksDone: ['T001', 'T003'] },
      { done: 1, total: 4, note: 'first file', tasksDone: ['T001', 'T003', 'T002'] },
      { done: 2, total: 4, tasksDone: ['T001', 'T003', 'T002'] },
    ]);
    expect(result.lastProgress).toEqual({ done: 2, total: 4, tasksDone: ['T001', 'T003', 'T002'] });
  });

  it('loses no tick when the coalescer keeps only the latest report', async () => {
    const sent: CommandProgress[] = [];
    const progress = coalesce<CommandProgress>(async (value) => {
      sent.push(value);
    }, 60_000);
    await runShellCommand({
      command: 'for t in T1 T2 T3 T4 T5; do echo "::done $t"; done',
      cwd: dir,
      onProgress: (value) => progress.push(value),
    });
    await progress.flush();
    expect(sent.length).toBeLessThan(5);
    expect(sent.at(-1)?.tasksDone).toEqual(['T1', 'T2', 'T3', 'T4', 'T5']);
  });
});
