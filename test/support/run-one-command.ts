/**
 * A stand-in worker: runs one command through `runShellCommand` (so through the helper process) and
 * prints `running <helper pid>` once it has started. Killed by the tests that supervise it.
 */
import { runShellCommand } from '../../src/activities/executor';
import { helperPid } from '../../src/activities/spawner';

const [command = 'sleep 30', cwd = process.cwd()] = process.argv.slice(2);
const running = runShellCommand({ command, cwd });
const announce = setInterval(() => {
  const helper = helperPid();
  if (helper === undefined) return;
  clearInterval(announce);
  process.stdout.write(`running ${helper}\n`);
}, 10);
running.then(
  (result) => process.stdout.write(`finished ${JSON.stringify(result.exitCode)}\n`),
  (error: unknown) => process.stdout.write(`failed ${String(error)}\n`),
);
