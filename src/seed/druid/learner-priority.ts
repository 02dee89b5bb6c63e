/**
 * A learner's CPU priority. A member that joins a running cluster receives the whole database
 * from the leader as a snapshot and applies it, on the same cores as the members and the
 * kube-apiserver that serve the shoot's clients (a live migration on one host, a member re-joining
 * after it lost its data): at 100 MB and more, that catch-up was where the longest pauses of the
 * clients' requests came from. So a learner runs at a lower priority (a higher niceness) until it
 * is promoted; its catch-up takes what the serving processes leave, and the leader's sending is
 * paced by it. A voting member runs at the seed's own priority.
 *
 * Only a process that may raise a priority back (root) lowers one: a member left nice after its
 * promotion would slow the cluster it votes in. Checked at every reconcile, so a druid restarted
 * between the promotion and the reset still resets it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from 'pino';

/** The niceness of a learner (0 is the default, 19 the lowest priority). */
export const LEARNER_NICENESS = 10;

/** Whether this process may raise a priority it lowered (`setpriority` below the current niceness). */
const mayRaisePriority = (): boolean => process.getuid?.() === 0;

/**
 * The launch of a member that joins a running cluster (`--initial-cluster-state=existing`): at
 * `LEARNER_NICENESS` from its first instruction, through `nice`. The leader starts sending its
 * snapshot the moment the learner's peer listener answers, before a reconcile sees the learner.
 */
export function joiningMemberLaunch(joining: boolean): { wrap?: (argv: string[]) => string[] } {
  if (!joining || !mayRaisePriority()) return {};
  return { wrap: (argv) => ['/usr/bin/nice', '-n', String(LEARNER_NICENESS), ...argv] };
}

/**
 * Sets the niceness of the etcd process `pid`: `LEARNER_NICENESS` while it is a learner, the
 * seed's own once it votes. Never throws: a process that is gone is the reconcile's to see.
 */
export function applyMemberPriority(
  pid: number | null,
  learner: boolean,
  log: Logger,
  mayRaise = mayRaisePriority(),
): void {
  if (pid === null || !mayRaise) return;
  const wanted = learner ? LEARNER_NICENESS : getPriority(0);
  try {
    const threads = threadsOf(pid);
    // Gone: the reconcile sees that.
    if (!threads || threads.every((tid) => nicenessOf(tid, wanted) === wanted)) return;
    setThreadPriorities(pid, threads, wanted);
    log.info(
      { pid, niceness: wanted },
      learner ? 'learner runs at a lower priority until promoted' : 'member runs at the seed priority',
    );
  } catch (err) {
    // os.setPriority throws a SystemError, its errno name under `info`.
    const code = (err as { info?: { code?: string } }).info?.code;
    if (code !== 'ESRCH') log.warn({ pid, err: (err as Error).message }, 'could not set the etcd member priority');
  }
}

/** Whether this system lists a process's threads (Linux's /proc). */
const LISTS_THREADS = existsSync('/proc/self/task');

/**
 * The IDs of the threads of `pid` (`/proc/<pid>/task`), undefined once it is gone. Linux keeps a
 * niceness per thread, and `setpriority(PRIO_PROCESS, pid)` changes only the thread whose ID is
 * `pid`: a promoted member's Go threads other than the first stayed at the learner's niceness, so
 * a destination member that took the leadership served at a tenth of the CPU weight of everything
 * around it. Without /proc, only the process ID.
 */
function threadsOf(pid: number): number[] | undefined {
  if (!LISTS_THREADS) return [pid];
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return undefined;
  }
}

/** A thread's niceness; `otherwise` for a thread that ended since it was listed. */
const nicenessOf = (tid: number, otherwise: number): number => {
  try {
    return getPriority(tid);
  } catch {
    return otherwise;
  }
};

/**
 * Every thread of `pid` at `niceness`. A thread the runtime starts meanwhile inherits the niceness
 * of the thread that starts it, so the threads are read again until no new one shows up.
 */
function setThreadPriorities(pid: number, first: number[], niceness: number): void {
  const done = new Set<number>();
  let threads = first;
  for (let pass = 0; pass < 5 && threads.some((tid) => !done.has(tid)); pass += 1) {
    for (const tid of threads) {
      if (done.has(tid)) continue;
      try {
        setPriority(tid, niceness);
      } catch (err) {
        // A thread that ended meanwhile; the process itself gone is reported by the caller.
        if ((err as { info?: { code?: string } }).info?.code !== 'ESRCH' || tid === pid) throw err;
      }
      done.add(tid);
    }
    threads = threadsOf(pid) ?? [];
  }
}
