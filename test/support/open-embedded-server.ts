/**
 * A stand-in `sprintwave run`: opens the embedded Temporal dev server as the commands do (the
 * environment says where), prints `server <pid>` and runs until it is killed.
 */
import { loadConfig } from '../../src/runtime/config';
import { openTemporal } from '../../src/runtime/temporal';

openTemporal(loadConfig()).then(
  (session) => {
    process.stdout.write(`server ${session.server?.pid ?? 'none'}\n`);
    setInterval(() => undefined, 60_000);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
