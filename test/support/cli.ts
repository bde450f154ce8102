import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/runtime/dev-server';

export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'sprintwave.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the built CLI as a user would, in its own process group. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): ChildProcess {
  const clean = { ...process.env };
  delete clean.TEMPORAL_ADDRESS;
  return spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

export function collect(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliRun> {
  return collect(spawnCli(args, env, cwd));
}

/** The environment of a `sprintwave dev` of its own: home folder and free ports. */
export async function devEnv(
  home: string,
  extra: NodeJS.ProcessEnv = {},
): Promise<NodeJS.ProcessEnv> {
  return {
    SPRINTWAVE_HOME: home,
    SPRINTWAVE_TEMPORAL_PORT: String(await freePort()),
    SPRINTWAVE_UI_PORT: String(await freePort()),
    SPRINTWAVE_API_PORT: String(await freePort()),
    ...extra,
  };
}

export interface DevProcess {
  child: ChildProcess;
  /** Everything it printed, once it has exited. */
  done: Promise<CliRun>;
  /** What it printed to stdout so far. */
  output(): string;
  /** Ctrl-C to its process group; resolves with what it printed once it has exited. */
  stop(): Promise<CliRun>;
}

/** Starts `sprintwave dev` and resolves once it printed "Ready." (rejects if it exits first). */
export async function startDev(env: NodeJS.ProcessEnv): Promise<DevProcess> {
  const child = spawnCli(['dev'], env);
  const done = collect(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const dev: DevProcess = {
    child,
    done,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-(child.pid as number), 'SIGINT');
      }
      return done;
    },
  };
  const deadline = Date.now() + 60_000;
  while (!out.includes('Ready.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await dev.stop();
      throw new Error(`sprintwave dev did not get ready: ${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return dev;
}
