/**
 * The membership of a shoot's etcd cluster sampled while a live migration changes it (issue 17,
 * docs/live-migration.md L4): how many voters and learners, and of which seed, and how many of
 * the voters run. The HA invariants are checked against the samples: never more than one learner,
 * never fewer running voters than a quorum of the voters.
 */
import { readdir, readFile } from 'node:fs/promises';
import { memberList } from '../../src/process/etcd-cluster-ops.js';
import type { EtcdMemberEntry } from '../../src/process/etcd-gateway.js';
import type { EtcdTls } from '../../src/process/etcd-process.js';
import { alive } from './processes.js';

export type SeedName = 'seed-a' | 'seed-b';

/**
 * Which seed a member belongs to: a member the destination adds is named
 * `<seed>-<etcd>-<i>` (the druid's `memberNamePrefix`); the shoot's first members, created on
 * seed-a, have no prefix. Undefined for a member added but not started yet (no name).
 */
export const seedOf = (m: EtcdMemberEntry): SeedName | undefined =>
  m.name.startsWith('seed-b-') ? 'seed-b' : m.name ? 'seed-a' : undefined;

/** One sample of the cluster's membership. */
export interface Membership {
  voters: Record<SeedName, number>;
  learners: number;
  /** Voters whose etcd process runs, when the sampler was given the landscape's directory. */
  runningVoters?: number;
}

/** The smallest majority of `voters`: fewer running than this and the cluster cannot commit. */
export const quorumOf = (voters: number) => Math.floor(voters / 2) + 1;

/** `3a+3b+0l` (and `, 5 running` when known): a sample as a test's diagnostic names it. */
export const describeMembership = (s: Membership) =>
  `${s.voters['seed-a']}a+${s.voters['seed-b']}b+${s.learners}l${s.runningVoters === undefined ? '' : `, ${s.runningVoters} running`}`;

/** The samples that break the HA invariants (more than one learner, or running voters short of a quorum). */
export function haInvariantViolations(samples: readonly Membership[]): string[] {
  return samples
    .filter((s) => {
      const voters = s.voters['seed-a'] + s.voters['seed-b'];
      const quorumRuns = s.runningVoters === undefined || s.runningVoters >= quorumOf(voters);
      return s.learners > 1 || !quorumRuns;
    })
    .map(describeMembership);
}

/**
 * Samples the membership every 20 ms until `stop`, asking any member it has seen (`endpoint`
 * first, then whoever is in the cluster): a change of the configuration is rare and slow (a
 * learner catches up, a removal is confirmed), so the widest configuration is seen. With
 * `processesUnder` (a landscape's directory), each sample also counts the voters whose etcd
 * process (one whose command line names that directory and the member) is alive.
 */
export function sampleMembership(
  endpoint: string,
  tls: EtcdTls,
  { processesUnder }: { processesUnder?: string } = {},
): { stop(): Promise<Membership[]> } {
  const samples: Membership[] = [];
  const pids = processesUnder ? new MemberPids(processesUnder) : undefined;
  let endpoints = [endpoint];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const members = await memberList(endpoints, tls).catch(() => undefined);
      if (members) {
        const voters = { 'seed-a': 0, 'seed-b': 0 };
        for (const m of members) {
          const seed = seedOf(m);
          if (!m.isLearner && seed) voters[seed]++;
        }
        const sample: Membership = { voters, learners: members.filter((m) => m.isLearner).length };
        if (pids) sample.runningVoters = await pids.running(members.filter((m) => !m.isLearner));
        samples.push(sample);
        endpoints = [...new Set([...members.flatMap((m) => m.clientUrls), ...endpoints])];
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/**
 * The etcd process of each member by name, below one directory. /proc is scanned only when a
 * member's known process is gone or unknown (a scan reads every process's command line: too
 * much for every 20 ms sample).
 */
class MemberPids {
  readonly #dir: string;
  readonly #byName = new Map<string, number>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** How many of `members` have a live etcd process (a member added but not started has none). */
  async running(members: readonly EtcdMemberEntry[]): Promise<number> {
    const named = members.filter((m) => m.name);
    if (named.some((m) => !alive(this.#byName.get(m.name)))) await this.#scan();
    return named.filter((m) => alive(this.#byName.get(m.name))).length;
  }

  async #scan(): Promise<void> {
    this.#byName.clear();
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (args[0] !== '/usr/bin/etcd' || !args.some((a) => a.includes(this.#dir))) continue;
      const name = args.find((a) => a.startsWith('--name='))?.slice('--name='.length);
      if (name) this.#byName.set(name, Number(entry));
    }
  }
}
