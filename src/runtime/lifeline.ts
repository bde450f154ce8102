/**
 * A process that must not outlive the process that started it (a package's command, the embedded
 * dev server) is started through a small `sh` wrapper. The wrapper becomes the leader of a new
 * process group, forks a watcher into that group and then execs the real program, so the
 * program keeps the group's pid, its exit code and its signals.
 *
 * The watcher holds one end of a socket pair (its fd 3); the starter holds the other. When the
 * starter goes away in any way (exit, crash, SIGKILL, a start it never heard the pid of), the
 * kernel closes its end, the watcher reads end-of-file and signals the whole group. Linux's
 * parent-death signal would do this for one process only, and Node cannot set it; a closing
 * pipe covers every process of the group and needs nothing but `sh`.
 *
 * The watcher takes the group's default signal dispositions, so a SIGTERM to the group (a
 * timeout or a cancel) ends it with the rest.
 */
/** How the group is stopped when the starter is gone. */
export type LifelineEnd = 'kill' | 'terminate';

const WATCHERS: Record<LifelineEnd, string> = {
  // The starter is gone: nobody is left to give the group a grace period.
  kill: 'kill -s KILL 0',
  // A server gets its SIGTERM (a clean stop of its database), and SIGKILL if it still runs 10 s
  // later. `$$` is the wrapper's pid, which the program took over with `exec`.
  terminate:
    'trap "" TERM; kill -s TERM 0; i=0; ' +
    'while [ $i -lt 100 ] && kill -0 $$ 2>/dev/null; do sleep 0.1; i=$((i+1)); done; ' +
    'kill -s KILL 0',
};

/** The fd the watcher reads; the program itself never sees it. */
export const LIFELINE_FD = 3;

/**
 * `file args…` as the command line that runs it on a lifeline. Spawn it with `detached: true`
 * (its own process group) and a `'pipe'` at `stdio[3]`; keep the starter's end open while the
 * program may run and destroy it once the group is gone (it is one fd per program).
 */
export function lifelineCommand(
  file: string,
  args: readonly string[],
  end: LifelineEnd = 'kill',
): { file: string; args: string[] } {
  const watcher =
    `( while read -r _; do :; done <&${LIFELINE_FD}; ${WATCHERS[end]} ) ` +
    `</dev/null >/dev/null 2>&1 &`;
  const script = `${watcher} exec "$@" ${LIFELINE_FD}<&-`;
  return { file: 'sh', args: ['-c', script, 'sprintwave-lifeline', file, ...args] };
}
