/**
 * Starts processes (git, and package commands) from a small helper process. Node forks itself to
 * start a process, and the fork costs in proportion to its memory: from a worker of 300+ MB every
 * spawn blocks the event loop ~10 ms (a package needs ~10 of them); the helper (~40 MB) forks in
 * ~1 ms, off this event loop. Falls back to a direct spawn if the helper is unavailable.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { lifelineCommand } from '../runtime/lifeline';
import { signalGroup } from '../runtime/process-group';

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

type GitReply = SpawnResult & { id: number; kind: 'git' };

/** What the helper says about a process it started for `spawnProcess`, in the order it happened. */
type ProcessEvent = { id: number; kind: 'process' } & (
  | { event: 'spawn'; pid: number }
  | { event: 'stdout' | 'stderr'; data: string }
  | { event: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { event: 'close' }
  | { event: 'error'; message: string }
);

// Plain JavaScript run with `node -e`: works the same from ts-jest and from the compiled build.
const HELPER_SOURCE = `
const { execFile, spawn } = require('node:child_process');
const running = new Map();
const reply = (m) => { if (process.connected) process.send(m); };
const git = (m) => {
  const child = execFile('git', m.args, { env: m.env, encoding: 'utf8', maxBuffer: m.maxBuffer },
    (err, stdout, stderr) => {
      const exitCode = err ? (err.code ?? 1) : 0;
      const error = err && typeof err.code !== 'number' ? err.message : undefined;
      reply({ id: m.id, kind: 'git', exitCode, stdout, stderr, error });
    });
  child.stdin.on('error', () => {});
  child.stdin.end(m.input);
};
const start = (m) => {
  const id = m.id, kind = 'process';
  // fd 3 is the command's lifeline (see src/runtime/lifeline.ts): it closes when this helper dies.
  const child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  running.set(id, child);
  child.once('spawn', () => reply({ id, kind, event: 'spawn', pid: child.pid }));
  child.once('error', (err) => { running.delete(id); reply({ id, kind, event: 'error', message: err.message }); });
  for (const name of ['stdout', 'stderr']) {
    child[name].setEncoding('utf8').on('data', (data) => reply({ id, kind, event: name, data }));
  }
  child.stdio[3].on('error', () => {});
  child.once('exit', (code, signal) => {
    // The leader is done: what it left running gets its SIGTERM now (the worker escalates), and
    // the lifeline's watcher ends with it, which lets 'close' come.
    try { process.kill(-child.pid, 'SIGTERM'); } catch {}
    reply({ id, kind, event: 'exit', code, signal });
  });
  child.once('close', () => { running.delete(id); child.stdio[3].destroy(); reply({ id, kind, event: 'close' }); });
};
const release = (m) => {
  const child = running.get(m.id);
  if (child) { child.stdout.destroy(); child.stderr.destroy(); }
};
// The worker is gone: nobody will ever read these commands' results, so none may run on.
const stopAll = () => {
  for (const child of running.values()) {
    try { process.kill(-child.pid, 'SIGKILL'); } catch {}
  }
  process.exit(0);
};
process.on('message', (m) => {
  if (m.kind === 'git') git(m);
  else if (m.kind === 'process') start(m);
  else if (m.kind === 'release') release(m);
});
process.on('disconnect', stopAll);
process.on('SIGTERM', stopAll);
// Ctrl-C and a closed terminal reach the worker's whole process group: the worker decides.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
`;

let helper: ChildProcess | undefined;
let nextId = 0;
const waiting = new Map<number, (reply: GitReply | Error) => void>();
const processes = new Map<number, HelperProcess>();

function startHelper(): ChildProcess {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no loaders or inspectors in the helper
  const child = spawn(process.execPath, ['-e', HELPER_SOURCE], {
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('message', (reply: GitReply | ProcessEvent) => {
    if (reply.kind === 'git') {
      waiting.get(reply.id)?.(reply);
      waiting.delete(reply.id);
    } else {
      processes.get(reply.id)?.take(reply);
    }
    if (waiting.size === 0 && processes.size === 0) child.channel?.unref();
  });
  const gone = () => {
    if (helper === child) helper = undefined;
    // Its git may have run or still be running: fail (the activity is retried), never re-run here.
    for (const settle of waiting.values()) settle(new Error('the helper process exited'));
    waiting.clear();
    for (const started of processes.values()) started.lost();
    processes.clear();
  };
  child.on('exit', gone);
  child.on('error', gone);
  child.unref(); // never keeps the worker alive; it exits when this process goes away
  child.channel?.unref();
  return child;
}

/** The helper's process id while one runs (for tests). */
export function helperPid(): number | undefined {
  return helper?.pid;
}

function connectedHelper(): ChildProcess | undefined {
  helper ??= startHelper();
  return helper.connected ? helper : undefined;
}

/** Sends `message`; `onFailure` runs when it could not be sent (the helper is going away). */
function send(child: ChildProcess, message: object, onFailure: () => void): void {
  child.channel?.ref(); // a request in flight keeps this process alive until it is answered
  child.send(message, (err) => {
    if (err) onFailure();
  });
}

/** Runs git with `request` through the helper, or directly when the helper cannot take it. */
export async function spawnGit(request: SpawnRequest): Promise<SpawnResult> {
  const child = connectedHelper();
  if (!child) return spawnGitDirectly(request);
  const id = nextId++;
  const reply = await new Promise<GitReply | 'not sent'>((resolve, reject) => {
    waiting.set(id, (answer) => (answer instanceof Error ? reject(answer) : resolve(answer)));
    send(child, { id, kind: 'git', ...request }, () => {
      if (waiting.delete(id)) resolve('not sent');
    });
  });
  return reply === 'not sent' ? spawnGitDirectly(request) : reply;
}

async function spawnGitDirectly(request: SpawnRequest): Promise<SpawnResult> {
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

/**
 * A process started by `spawnProcess`, leader of its own process group. Its events wait until
 * `resume()`, then come in the order they happened: output as it arrives (utf8), `exit`, then
 * `close` once all output is in.
 */
export interface StartedProcess {
  readonly pid: number;
  on(event: 'stdout' | 'stderr', listener: (chunk: string) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'close', listener: () => void): this;
  /** After the start: the helper went away, so the output and the exit will never come. */
  on(event: 'error', listener: (error: Error) => void): this;
  /** Delivers the events so far and from now on: call it once the listeners are on. */
  resume(): void;
  /** Stops reading output (descendants may hold the pipes open forever); `close` follows. */
  release(): void;
}

export interface SpawnProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Why a start has no outcome: the helper went away after it was asked to start the process. */
export class LostStartError extends Error {
  override name = 'LostStartError';
}

/**
 * Starts `file` with `args` on a lifeline (src/runtime/lifeline.ts): the process group dies with
 * whoever started it, the helper or this process. Rejects when it cannot be started at all, and
 * with a `LostStartError` when the helper died before saying whether it started (its lifeline
 * stops anything it did start).
 */
export async function spawnProcess(
  file: string,
  args: string[],
  options: SpawnProcessOptions,
): Promise<StartedProcess> {
  const wrapped = lifelineCommand(file, args);
  const child = connectedHelper();
  if (!child) return spawnProcessDirectly(wrapped.file, wrapped.args, options);
  const id = nextId++;
  const started = new HelperProcess(child, id);
  processes.set(id, started);
  let sent = true;
  send(child, { id, kind: 'process', ...wrapped, ...options }, () => {
    if (!processes.delete(id)) return;
    sent = false;
    started.lost();
  });
  try {
    await started.spawned;
  } catch (error) {
    if (!sent) return spawnProcessDirectly(wrapped.file, wrapped.args, options);
    throw error;
  }
  return started;
}

/** Holds events back until `resume()`: the caller may attach its listeners a few ticks late. */
abstract class Started extends EventEmitter implements StartedProcess {
  pid = 0;
  private held: [string, unknown[]][] | undefined = [];

  protected deliver(event: string, ...args: unknown[]): void {
    if (this.held) this.held.push([event, args]);
    else this.emit(event, ...args);
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [event, args] of held) this.emit(event, ...args);
  }

  abstract release(): void;
}

class HelperProcess extends Started {
  /** Settles when the helper has started the process, or could not. */
  readonly spawned: Promise<void>;
  private settle: (error?: Error) => void = () => undefined;

  constructor(
    private readonly helperProcess: ChildProcess,
    private readonly id: number,
  ) {
    super();
    this.spawned = new Promise((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
  }

  take(event: ProcessEvent): void {
    switch (event.event) {
      case 'spawn':
        this.pid = event.pid;
        this.settle();
        break;
      case 'stdout':
      case 'stderr':
        this.deliver(event.event, event.data);
        break;
      case 'exit':
        this.deliver('exit', event.code, event.signal);
        break;
      case 'close':
        processes.delete(this.id);
        this.deliver('close');
        break;
      case 'error':
        processes.delete(this.id);
        this.settle(new Error(event.message));
        break;
    }
  }

  /** The helper is gone: what it started runs on unwatched, so it is stopped. */
  lost(): void {
    if (!this.pid) {
      // Its lifeline closed with the helper: whatever it may have started is being stopped.
      const message = 'the helper process exited while starting it; anything it started is stopped';
      return this.settle(new LostStartError(message));
    }
    const error = new Error('the helper process exited');
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    this.deliver('error', error);
  }

  release(): void {
    if (this.helperProcess.connected) {
      this.helperProcess.send({ id: this.id, kind: 'release' }, () => undefined);
    }
  }
}

class DirectProcess extends Started {
  constructor(private readonly child: ChildProcess) {
    super();
    this.pid = child.pid as number;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.deliver('stdout', chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.deliver('stderr', chunk));
    child.on('exit', (code, signal) => {
      signalGroup(this.pid, 'SIGTERM'); // as the helper does: leftovers and the lifeline's watcher
      this.deliver('exit', code, signal);
    });
    child.on('close', () => {
      lifeline(child)?.destroy();
      this.deliver('close');
    });
    child.on('error', () => undefined); // after the start only from kill(), which is not used
  }

  release(): void {
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }
}

/** This process's end of a lifeline: held open, never read, and no reason to stay alive. */
function lifeline(child: ChildProcess): Readable | undefined {
  return child.stdio[3] as Readable | undefined;
}

async function spawnProcessDirectly(
  file: string,
  args: string[],
  options: SpawnProcessOptions,
): Promise<StartedProcess> {
  const child = spawn(file, args, {
    ...options,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const end = lifeline(child);
  end?.on('error', () => undefined);
  // Not unref'd: the lifeline must not be closed early, and the stdout pipes hold the loop anyway.
  return new DirectProcess(child);
}
