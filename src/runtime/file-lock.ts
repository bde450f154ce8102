/**
 * An exclusive lock between processes on one machine, held by a `flock(1)` child: the kernel
 * releases a flock when its holder's file descriptor closes, so a lock whose holder died (even
 * by SIGKILL) is free at once, with no staleness to guess. The child holds the lock until its
 * stdin closes: on `release()`, or when this process dies.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

/** Runs `work` while holding the lock on `file` (created when missing). */
export async function withFileLock<T>(
  file: string,
  work: () => Promise<T>,
  timeoutMs = 120_000,
): Promise<T> {
  const release = await acquire(file, timeoutMs);
  try {
    return await work();
  } finally {
    await release();
  }
}

async function acquire(file: string, timeoutMs: number): Promise<() => Promise<void>> {
  await mkdir(path.dirname(file), { recursive: true });
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  const holder = spawn(
    'flock',
    ['--exclusive', '--timeout', seconds, file, 'sh', '-c', 'echo locked; read _ || :'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => holder.once('close', resolve));
  holder.stdin.on('error', () => undefined);
  let stderr = '';
  holder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const locked = await new Promise<boolean>((resolve, reject) => {
    holder.once('error', (error) => reject(new Error(`cannot lock ${file}: ${error.message}`)));
    holder.stdout.once('data', () => resolve(true));
    void exited.then(() => resolve(false));
  });
  if (!locked) {
    const code = await exited;
    // flock exits 1 when --timeout runs out.
    if (code === 1) throw new LockTimeoutError(`${file} stayed locked for ${seconds} s`);
    throw new Error(`cannot lock ${file}: flock exited with ${code}: ${stderr.trim()}`);
  }
  holder.unref(); // holding the lock must not keep this process alive
  return async () => {
    holder.ref(); // but waiting for the release must
    holder.stdin.end();
    await exited;
  };
}
