import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/runtime/dev-server';
import { runCli, startDev } from '../support/cli';

jest.setTimeout(180_000);

/** The embedded dev servers running on `home`'s database right now. */
function serversOn(home: string): number {
  const db = path.join(home, 'temporal.db');
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  // Not the lifeline's watcher, a forked `sh` that shows the server's command line too.
  const servers = (line: string) => !line.startsWith('sh ') && line.includes('start-dev');
  return out.split('\n').filter((line) => servers(line) && line.includes(db)).length;
}

/** Runs `count` commands at once while counting the servers on `home` every 50 ms. */
async function inParallel(count: number, args: string[], env: NodeJS.ProcessEnv, home: string) {
  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, serversOn(home))), 50);
  try {
    const runs = await Promise.all(Array.from({ length: count }, () => runCli(args, env)));
    return { runs, most };
  } finally {
    clearInterval(sampler);
  }
}

describe('one embedded dev server per SPRINTWAVE_HOME', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sprintwave-one-server-'));
    env = {
      SPRINTWAVE_HOME: home,
      SPRINTWAVE_TEMPORAL_PORT: String(await freePort()),
      SPRINTWAVE_UI_PORT: String(await freePort()),
    };
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('ten commands at once with none running: one starts it, the others use it, all answer', async () => {
    const { runs, most } = await inParallel(10, ['status', 'no-such-sprint'], env, home);
    for (const run of runs) {
      expect(run.stderr).toContain('No sprint with id no-such-sprint');
      expect(run.code).toBe(2);
    }
    expect(most).toBe(1);
    expect(serversOn(home)).toBe(0); // stopped by the command that started it, once all were done
  });

  it('ten commands at once beside `sprintwave dev`: all use its server', async () => {
    const dev = await startDev({ ...env, SPRINTWAVE_API_PORT: String(await freePort()) });
    try {
      const { runs, most } = await inParallel(
        10,
        ['status', 'no-such-sprint', '--json'],
        env,
        home,
      );
      for (const run of runs) {
        expect(run.code).toBe(2);
        expect(run.stderr).not.toContain('Temporal dev server started');
      }
      expect(most).toBe(1);
    } finally {
      await dev.stop();
    }
    expect(serversOn(home)).toBe(0);
  });
});
