/**
 * Starts git processes from a small helper process. Node forks itself to start a process: from a
 * worker of 300+ MB every spawn blocks the event loop ~5 ms (a package needs ~9); the helper
 * (~40 MB) forks in ~1 ms, off this event loop. Falls back to a direct spawn if it is unavailable.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface SpawnRequest {
  args: string[];
  env: NodeJS.ProcessEnv;
  input?: string;
  maxBuffer: number;
}

export interface SpawnResult {
  /** 0 on success, git's exit code, or a Node error code (e.g. ENOENT) when git did not run. */
  exitCode: number | string;
  stdout: string;
  stderr: string;
  /** Node's error message when git did not run or its output was too large. */
  error?: string;
}

type Reply = SpawnResult & { id: number };

// Plain JavaScript run with `node -e`: works the same from ts-jest and from the compiled build.
const HELPER_SOURCE = `
const { execFile } = require('node:child_process');
process.on('message', (m) => {
  const child = execFile('git', m.args, { env: m.env, encoding: 'utf8', maxBuffer: m.maxBuffer },
    (err, stdout, stderr) => {
      const exitCode = err ? (err.code ?? 1) : 0;
      const error = err && typeof err.code !== 'number' ? err.message : undefined;
      process.send({ id: m.id, exitCode, stdout, stderr, error });
    });
  child.stdin.on('error', () => {});
  child.stdin.end(m.input);
});
process.on('disconnect', () => process.exit(0));
`;

let helper: ChildProcess | undefined;
let nextId = 0;
const waiting = new Map<number, (reply: Reply | Error) => void>();

function startHelper(): ChildProcess {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no loaders or inspectors in the helper
  const child = spawn(process.execPath, ['-e', HELPER_SOURCE], {
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('message', (reply: Reply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
    if (waiting.size === 0) child.channel?.unref();
  });
  const gone = () => {
    if (helper === child) helper = undefined;
    // Its git may have run or still be running: fail (the activity is retried), never re-run here.
    for (const settle of waiting.values()) settle(new Error('the git helper process exited'));
    waiting.clear();
  };
  child.on('exit', gone);
  child.on('error', gone);
  child.unref(); // never keeps the worker alive; it exits when this process goes away
  child.channel?.unref();
  return child;
}

/** The helper's process id while one runs (for tests). */
export function gitHelperPid(): number | undefined {
  return helper?.pid;
}

/** Runs git with `request` through the helper, or directly when the helper cannot take it. */
export async function spawnGit(request: SpawnRequest): Promise<SpawnResult> {
  helper ??= startHelper();
  const child = helper;
  if (!child.connected) return spawnDirectly(request);
  const id = nextId++;
  const reply = await new Promise<Reply | 'not sent'>((resolve, reject) => {
    waiting.set(id, (answer) => (answer instanceof Error ? reject(answer) : resolve(answer)));
    child.channel?.ref(); // a request in flight keeps this process alive until it is answered
    child.send({ id, ...request }, (err) => {
      if (err && waiting.delete(id)) resolve('not sent');
    });
  });
  return reply === 'not sent' ? spawnDirectly(request) : reply;
}

async function spawnDirectly(request: SpawnRequest): Promise<SpawnResult> {
  const { args, env, maxBuffer } = request;
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      args,
      { env, encoding: 'utf8', maxBuffer },
      (err, stdout, stderr) => {
        const exitCode = err ? (err.code ?? 1) : 0;
        const error = err && typeof err.code !== 'number' ? err.message : undefined;
        resolve({ exitCode, stdout, stderr, error });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(request.input);
  });
}
