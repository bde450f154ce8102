import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter, LineTail, parseDoneLine, parseProgressLine } from '../domain/progress-line';
import { groupAlive, signalGroup } from '../runtime/process-group';
import { LostStartError, spawnProcess } from './spawner';
import type { StartedProcess } from './spawner';

export interface CommandProgress {
  done: number;
  total: number;
  note?: string;
  /** Every task id named on a `::done <id>` line so far, each once, in order. */
  tasksDone?: string[];
}

export interface RunShellCommandInput {
  command: string;
  cwd: string;
  /** Merged over `process.env`. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Aborting cancels the command (its whole process group). */
  signal?: AbortSignal;
  /**
   * Called for each `::progress <done>/<total> [note]` line and each new `::done <task>` line
   * on stdout, with the latest counts and every task done so far (so the latest call says it all).
   */
  onProgress?: (progress: CommandProgress) => void;
  /** Called whenever the command writes anything (used to heartbeat). */
  onOutput?: () => void;
  /** Awaited once the command runs, before any of its output is read: its process group id. */
  onStart?: (pgid: number) => Promise<void> | void;
  /** Delay between SIGTERM and SIGKILL; default 5000. */
  killGraceMs?: number;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** The last lines of stdout and stderr, interleaved as they arrived. */
  tail: string[];
  lastProgress?: CommandProgress;
}

const DEFAULT_KILL_GRACE_MS = 5_000;
/** Every progress signal carries the ticked ids: a runaway command must not bloat history. */
const MAX_TASKS_DONE = 1_000;
const GROUP_POLL_MS = 20;
/** How long to wait for SIGKILLed processes to vanish before reporting anyway. */
const AFTER_KILL_MS = 200;
/** After the shell exits, how long pipes held by escaped processes may delay the result. */
const DRAIN_EXTRA_MS = 1_000;

/**
 * Runs `sh -c <command>` as the leader of its own process group. A non-zero exit is a result,
 * not an error; the promise rejects only when the command cannot be started at all.
 */
export async function runShellCommand(input: RunShellCommandInput): Promise<CommandResult> {
  await assertDirectory(input.cwd);
  const startedAt = performance.now();
  if (input.signal?.aborted) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: true,
      durationMs: 0,
      tail: [],
    };
  }
  // Its own process group, so timeouts and cancels reach every descendant.
  const child = await spawnProcess('sh', ['-c', input.command], {
    cwd: input.cwd,
    env: { ...withoutSecrets(process.env), ...input.env },
  }).catch((error: Error) => {
    const what = error instanceof LostStartError ? 'Lost the command' : 'Cannot run command';
    throw new Error(`${what} in ${input.cwd}: ${error.message}`, { cause: error });
  });
  try {
    await input.onStart?.(child.pid);
  } catch {
    // Bookkeeping of the caller's: the command runs and is supervised all the same.
  }
  return await new CommandRun(child, input, startedAt).result;
}

/**
 * sprintwave's own credentials, which package commands and checks never see: a command that
 * prints its environment would otherwise put them into its output tail, and so into workflow
 * history and the GitHub summary.
 */
export const SECRET_ENV = [
  'GITHUB_TOKEN',
  'SPRINTWAVE_SYNC_TOKEN',
  'SPRINTWAVE_API_TOKEN',
  'SPRINTWAVE_PASSPHRASE',
] as const;

function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of SECRET_ENV) delete copy[name];
  return copy;
}

async function assertDirectory(cwd: string): Promise<void> {
  const info = await stat(cwd).catch(() => undefined);
  if (!info) throw new Error(`Cannot run command: working directory ${cwd} does not exist`);
  if (!info.isDirectory()) {
    throw new Error(`Cannot run command: working directory ${cwd} is not a directory`);
  }
}

/** Tracks one running command from spawn to result. */
class CommandRun {
  readonly result: Promise<CommandResult>;
  private readonly tail = new LineTail();
  private readonly stdoutLines = new LineSplitter((line) => this.onStdoutLine(line));
  private readonly stderrLines = new LineSplitter((line) => this.tail.add(line));
  private readonly killGraceMs: number;
  private lastProgress: CommandProgress | undefined;
  private readonly tasksDone: string[] = [];
  private exit: { code: number | null; signal: string | null } | undefined;
  private timedOut = false;
  private cancelled = false;
  private killDeadline: number | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly onAbort = (): void => this.stop('cancelled');

  constructor(
    private readonly child: StartedProcess,
    private readonly input: RunShellCommandInput,
    private readonly startedAt: number,
  ) {
    this.killGraceMs = input.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.result = new Promise((resolve, reject) => {
      let settled = false;
      child.on('error', (error) => {
        if (settled) return;
        settled = true;
        this.cleanup();
        reject(new Error(`Lost the command in ${input.cwd}: ${error.message}`, { cause: error }));
      });
      child.on('close', () => {
        if (settled) return;
        settled = true;
        this.finish().then(resolve, reject);
      });
    });
    this.readOutput();
    child.on('exit', (code, signal) => this.onExit(code, signal));
    if (input.timeoutMs !== undefined) this.after(input.timeoutMs, () => this.stop('timedOut'));
    input.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (input.signal?.aborted) this.stop('cancelled'); // while it was being started
    child.resume();
  }

  private readOutput(): void {
    this.child.on('stdout', (chunk) => {
      this.stdoutLines.write(chunk);
      this.notify(this.input.onOutput);
    });
    this.child.on('stderr', (chunk) => {
      this.stderrLines.write(chunk);
      this.notify(this.input.onOutput);
    });
  }

  private onStdoutLine(line: string): void {
    this.tail.add(line);
    const progress: CommandProgress | undefined =
      parseProgressLine(line) ?? this.tickTask(parseDoneLine(line));
    if (!progress) return;
    if (this.tasksDone.length) progress.tasksDone = [...this.tasksDone];
    this.lastProgress = progress;
    this.notify(() => this.input.onProgress?.(progress));
  }

  /** A task ticked for the first time keeps the last counts; a repeated tick changes nothing. */
  private tickTask(taskId: string | undefined): CommandProgress | undefined {
    if (taskId === undefined || this.tasksDone.includes(taskId)) return undefined;
    if (this.tasksDone.length >= MAX_TASKS_DONE) return undefined;
    this.tasksDone.push(taskId);
    const { done, total, note } = this.lastProgress ?? { done: 0, total: 0 };
    return note === undefined ? { done, total } : { done, total, note };
  }

  /** Callbacks run inside stream events, where a throw would crash the worker. */
  private notify(callback: (() => void) | undefined): void {
    try {
      callback?.();
    } catch {
      // The caller's hook failing must not take the command (or the process) down.
    }
  }

  private stop(reason: 'timedOut' | 'cancelled'): void {
    if (this.exit || this.killDeadline !== undefined) return;
    if (reason === 'timedOut') this.timedOut = true;
    else this.cancelled = true;
    this.terminateGroup();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    // Background processes left behind would be orphans (and may hold our pipes open); the
    // signal costs nothing when there are none.
    this.terminateGroup();
    this.after(this.killGraceMs + DRAIN_EXTRA_MS, () => this.child.release());
  }

  private terminateGroup(): void {
    if (this.killDeadline !== undefined) return;
    this.killDeadline = Date.now() + this.killGraceMs;
    signalGroup(this.pid, 'SIGTERM');
    this.killTimer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), this.killGraceMs);
  }

  private async finish(): Promise<CommandResult> {
    this.stdoutLines.end();
    this.stderrLines.end();
    if (this.timedOut || this.cancelled) await this.awaitGroupGone();
    this.cleanup();
    const result: CommandResult = {
      exitCode: this.exit?.code ?? null,
      signal: this.exit?.signal ?? null,
      timedOut: this.timedOut,
      cancelled: this.cancelled,
      durationMs: Math.round(performance.now() - this.startedAt),
      tail: this.tail.lines(),
    };
    if (this.lastProgress) result.lastProgress = this.lastProgress;
    return result;
  }

  /** Waits until no process of the group is left, escalating to SIGKILL after the grace. */
  private async awaitGroupGone(): Promise<void> {
    const deadline = this.killDeadline ?? Date.now();
    while (groupAlive(this.pid) && Date.now() < deadline) await sleep(GROUP_POLL_MS);
    if (!groupAlive(this.pid)) return;
    signalGroup(this.pid, 'SIGKILL');
    const killedAt = Date.now();
    while (groupAlive(this.pid) && Date.now() - killedAt < AFTER_KILL_MS) {
      await sleep(GROUP_POLL_MS);
    }
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private cleanup(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.input.signal?.removeEventListener('abort', this.onAbort);
    // Leftovers of a normal exit that ignore SIGTERM still get their SIGKILL, without holding
    // the process open for it.
    if (groupAlive(this.pid)) this.killTimer?.unref();
    else clearTimeout(this.killTimer);
  }

  private get pid(): number {
    return this.child.pid;
  }
}
