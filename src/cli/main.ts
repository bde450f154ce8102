import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../runtime/config';
import { exitWhenFlushed, keepAliveUntil } from '../runtime/process-life';
import { PROJECT_ROOT, TemporalCliNotFound } from '../runtime/temporal-cli';
import { addAuthCommands } from './commands/auth';
import { demoCommand } from './commands/demo';
import { eventsCommand, syncFlushCommand } from './commands/events';
import { importCommand } from './commands/import';
import type { ImportOptions } from './commands/import';
import type { DemoOptions } from './commands/demo';
import { planCommand } from './commands/plan';
import { runCommand } from './commands/run';
import { addScheduleCommands } from './commands/schedule';
import { serveCommand } from './commands/serve';
import { cancelCommand, retryCommand, startCommand } from './commands/sprint-ops';
import { statusCommand } from './commands/status';
import {
  apiCancelCommand,
  apiRetryCommand,
  apiStartCommand,
  apiStatusCommand,
  viaApi,
} from './commands/api-ops';
import { watchCommand } from './commands/watch';
import { ServiceError } from '../service/errors';
import { CliError, EXIT, exitCodeOf } from './errors';
import { processIO } from './io';
import type { CliIO } from './io';

/** argv parsing only: each command is a plain async function returning an exit code. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('sprintwave')
    .description('Run a software sprint of parallel work packages as a durable Temporal workflow.')
    .version(packageVersion(), '-V, --version', 'print the version of sprintwave')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const action =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> =>
      setExit(await fn(...args));

  program
    .command('plan <file>')
    .description('validate a sprint file and show its waves, critical path and totals')
    .option('--json', 'print the plan as JSON')
    .action(action((file: string, opts: { json?: boolean }) => planCommand(file, opts, io)));
  program
    .command('run <file>')
    .description(
      'start a sprint (or attach to it) and follow it live; exit 0 only when it completed',
    )
    .option('--json', 'print the final status as JSON')
    .option('--push', 'push the integration branch to its remote at the end (integration.push)')
    .action(
      action((file: string, opts: { json?: boolean; push?: boolean }) =>
        runCommand(file, opts, io),
      ),
    );
  program
    .command('start <file>')
    .description('start a sprint and return')
    .action(
      action((file: string) =>
        viaApi(
          (api) => apiStartCommand(api, file, io),
          () => startCommand(file, io),
        ),
      ),
    );
  program
    .command('status <id>')
    .description('show the progress of a sprint')
    .option('--json', 'print the status as JSON')
    .action(
      action((id: string, opts: { json?: boolean }) =>
        viaApi(
          (api) => apiStatusCommand(api, id, opts, io),
          () => statusCommand(id, opts, io),
        ),
      ),
    );
  program
    .command('watch <id>')
    .description(
      'follow a sprint live until it ends (through SPRINTWAVE_URL when set); exit 0 only when it completed',
    )
    .option('--json', 'print the final status as JSON')
    .action(action((id: string, opts: { json?: boolean }) => watchCommand(id, opts, io)));
  program
    .command('cancel <id>')
    .description('cancel a running sprint: executors stop, worktrees are kept')
    .action(
      action((id: string) =>
        viaApi(
          (api) => apiCancelCommand(api, id, io),
          () => cancelCommand(id, io),
        ),
      ),
    );
  program
    .command('retry <id> <wp>')
    .description('retry a failed package (its blocked dependents then run) and follow the sprint')
    .option('--json', 'print the final status as JSON')
    .option('--no-wait', 'return once the retry is accepted')
    .action(
      action((id: string, wp: string, opts: { json?: boolean; wait?: boolean }) =>
        viaApi(
          (api) => apiRetryCommand(api, id, wp, opts, io),
          () => retryCommand(id, wp, opts, io),
        ),
      ),
    );
  program
    .command('events <id>')
    .description("list a sprint's identity-tagged events from the local queue")
    .option('--json', 'print the events as JSON')
    .action(action((id: string, opts: { json?: boolean }) => eventsCommand(id, opts, io)));
  program
    .command('sync')
    .description('the sync backend')
    .command('flush')
    .description('send the queued events that were not delivered yet')
    .action(action(() => syncFlushCommand(io)));
  program
    .command('dev')
    .description(
      'run the embedded Temporal dev server (with Web UI), a worker and the HTTP API until Ctrl-C',
    )
    .action(action(() => serveCommand('dev', io)));
  program
    .command('worker')
    .description('run a worker for TEMPORAL_ADDRESS until Ctrl-C')
    .action(action(() => serveCommand('worker', io)));
  program
    .command('api')
    .description('serve the HTTP API (SPRINTWAVE_API_HOST:SPRINTWAVE_API_PORT) until Ctrl-C')
    .action(action(() => serveCommand('api', io)));
  program
    .command('demo')
    .description('create a sample repository and run the example sprint in it')
    .option('--json', 'print the final status as JSON')
    .option('--dir <path>', 'where to create the sample repository')
    .option(
      '--github-local',
      'show the live GitHub comments on a GitHub served on this machine (no token needed)',
    )
    .action(action((opts: DemoOptions) => demoCommand(opts, io)));
  program
    .command('import <markdown-or-folder>')
    .description(
      'turn a work-packages or sprint-pods markdown plan, or a spec-kitty feature folder (tasks.md and tasks/WP*.md, whose frontmatter dependencies win), into a sprint file',
    )
    .option('-o, --output <file>', 'write the sprint file here (default: stdout)')
    .option('--force', 'overwrite the output file if it exists')
    .option('--id <id>', 'the sprint id (default: from the document title)')
    .option('--repo <path>', 'the repository, relative to the sprint file', '.')
    .option('--run <command>', 'a command every package runs (default: external packages)')
    .action(action((file: string, opts: ImportOptions) => importCommand(file, opts, io)));
  addScheduleCommands(program, action, io);
  addAuthCommands(program, action, io);
  return program;
}

/** The version of the package this CLI was built from. */
function packageVersion(): string {
  const manifest = readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/** The one place errors become messages and exit codes. */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    return reportError(error, io);
  }
}

export function reportError(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (error instanceof ServiceError) {
    io.err(`error: ${error.message}`);
    return exitCodeOf(error.kind);
  }
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof TemporalCliNotFound
  ) {
    io.err(`error: ${error.message}`);
    return error instanceof CliError ? error.exitCode : EXIT.badInput;
  }
  io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.SPRINTWAVE_DEBUG) io.err(String((error as Error)?.stack));
  return EXIT.sprintFailed;
}

/** The process's end: the command's exit code, even if something it opened is still open. */
export function main(argv: string[]): void {
  void keepAliveUntil(runCli(argv)).then(exitWhenFlushed);
}
