/**
 * The journal of a landscape's hosts: one JSON line per thing `transplant up` is about to create
 * (a bridge, a network namespace, a link, an /etc/netns directory, an nft table, a process),
 * appended *before* it is created. `transplant down` undoes every line, whatever exists of it, so
 * it leaves nothing behind even when `up` was killed -9 between two steps. Undoing something that
 * is not there is success: a line may name a thing that was never created.
 */
import { appendFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive, processStartTime, terminateProcess } from '../process/processes.js';
import { GONE, runCommand, runIgnoring } from './command.js';

export type JournalEntry =
  | { kind: 'bridge'; name: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'etc-netns'; name: string }
  | { kind: 'nft'; netns: string; family: string; table: string }
  /** A process outside the namespaces (e.g. the supervisor); `startTime` tells it from a later one with its pid. */
  | { kind: 'process'; pid: number; startTime: number };

export const JOURNAL_FILE = 'hosts-journal.jsonl';

/** Where `/etc/netns/<namespace>` files live (`ip netns exec` bind-mounts them). */
export const ETC_NETNS = '/etc/netns';

export class HostJournal {
  readonly file: string;

  constructor(landscapeDir: string) {
    this.file = join(landscapeDir, JOURNAL_FILE);
  }

  /** Appends `entry`; synchronous, so it is on disk (in the page cache) before the caller creates the thing. */
  record(entry: JournalEntry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  }

  /** Records this process (or `pid`) so that `undo` stops it. */
  recordProcess(pid = process.pid): void {
    const startTime = processStartTime(pid);
    if (startTime !== undefined) this.record({ kind: 'process', pid, startTime });
  }

  async entries(): Promise<JournalEntry[]> {
    const text = await readFile(this.file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as JournalEntry];
        } catch {
          // A line cut short by a kill: its thing was not created yet.
          return [];
        }
      });
  }

  /**
   * Removes everything the journal names, in an order that works: processes (those recorded and
   * every process inside a recorded namespace; `except` is spared, e.g. the caller), nft tables,
   * namespaces, links, the bridge, /etc/netns directories; then the journal itself.
   */
  async undo(options: { graceMs?: number; except?: number } = {}): Promise<void> {
    const entries = await this.entries();
    const of = <K extends JournalEntry['kind']>(kind: K) =>
      entries.filter((e): e is Extract<JournalEntry, { kind: K }> => e.kind === kind);
    const namespaces = [...new Set(of('netns').map((e) => e.name))];
    const pids = new Set<number>();
    for (const { pid, startTime } of of('process')) {
      if (processStartTime(pid) === startTime) pids.add(pid);
    }
    for (const netns of namespaces) for (const pid of await namespacePids(netns)) pids.add(pid);
    pids.delete(options.except ?? -1);
    pids.delete(process.pid);
    await Promise.all([...pids].filter(isProcessAlive).map((pid) => terminateProcess(pid, options.graceMs ?? 10_000)));
    for (const { netns, family, table } of of('nft')) {
      if (await namespaceExists(netns)) {
        await runIgnoring(['ip', 'netns', 'exec', netns, 'nft', 'delete', 'table', family, table], GONE);
      }
    }
    for (const netns of namespaces) await runIgnoring(['ip', 'netns', 'delete', netns], GONE);
    for (const { name } of [...of('link'), ...of('bridge')]) await runIgnoring(['ip', 'link', 'delete', name], GONE);
    for (const { name } of of('etc-netns')) await rm(join(ETC_NETNS, name), { recursive: true, force: true });
    await rm(this.file, { force: true });
  }
}

/** The processes inside network namespace `netns` (`ip netns pids`); none when it does not exist. */
export async function namespacePids(netns: string): Promise<number[]> {
  try {
    const { stdout } = await runCommand(['ip', 'netns', 'pids', netns]);
    return stdout.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function namespaceExists(netns: string): Promise<boolean> {
  const { stdout } = await runCommand(['ip', 'netns', 'list']);
  return stdout.split('\n').some((line) => line.split(' ')[0] === netns);
}
