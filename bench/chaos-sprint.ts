import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SprintSpec } from '../src/domain/spec';
import { checkSprintSpec } from '../src/schemas/sprint-spec';
import { initRepo } from './support';

const run = promisify(execFile);

/**
 * `count` packages in layers of four, each needing two of the layer before. Each writes its own
 * file and lists what it sees of its dependencies' work, so lost or misplaced work changes the tree.
 * Re-running a command (after a crash) gives the same files.
 */
export function chaosSpec(repo: string, id: string, count: number, issue: number): SprintSpec {
  const ids = Array.from({ length: count }, (_, i) => `WP${String(i + 1).padStart(2, '0')}`);
  const packages = ids.map((wp, i) => {
    const layer = Math.floor(i / 4);
    const dependsOn =
      layer === 0 ? [] : [...new Set([ids[i - 4], ids[(layer - 1) * 4 + ((i + 1) % 4)]])];
    return {
      id: wp,
      title: `Package ${wp}`,
      dependsOn,
      run:
        `echo "::progress 0/1"; mkdir -p out seen; ls out | grep -vx ${wp}.txt > seen/${wp}.txt; ` +
        `echo ${wp} > out/${wp}.txt; sleep 0.3; echo "::progress 1/1"`,
    };
  });
  const checked = checkSprintSpec({
    id,
    title: 'Chaos',
    repo,
    strategy: 'eager',
    concurrency: 4,
    packages,
    github: { repo: 'chaos/sprint', issue, minInterval: '500ms' },
  });
  if (!checked.ok) throw new Error(`bad chaos spec: ${JSON.stringify(checked.problems)}`);
  return checked.spec;
}

export function newRepo(dir: string): Promise<string> {
  return initRepo(dir, 'chaos');
}

export async function treeOf(repo: string, branch: string): Promise<string> {
  return (await git(repo, 'rev-parse', `${branch}^{tree}`)).trim();
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd })).stdout;
}
