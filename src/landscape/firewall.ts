/**
 * Network cuts between hosts, as a firewall makes them: an nftables `inet` table `transplant` in
 * the source host's namespace whose `output` chain drops (or rejects with a TCP reset) what the
 * host sends to the destination's addresses (its own and its extra ones). A dropped path makes
 * connects time out; a rejected one makes them fail at once (ECONNREFUSED); established
 * connections stall or are reset alike. A cut in both directions adds the mirror rule in the
 * destination's namespace. Healing deletes the rules again (both directions).
 *
 * Each rule carries a comment `transplant-cut to=<host> mode=<drop|reject>`, which is what lists
 * and heals it; the rules are otherwise what docs/hosts.md shows to type by hand with `nft`.
 */
import { GONE, runCommand, runIgnoring } from './command.js';
import type { HostJournal } from './journal.js';
import { type Host, type HostNetworkPlan, inHost } from './netns.js';

export const CUT_TABLE = 'transplant';
export type CutMode = 'drop' | 'reject';

export interface Cut {
  from: string;
  to: string;
  mode: CutMode;
}

const COMMENT_PREFIX = 'transplant-cut';

/** The nft script that makes `from` unable to reach `to` (the rules, after the table and chain). */
export function cutRules(to: Host, mode: CutMode): string[] {
  const addresses = `{ ${[to.address, ...to.extraAddresses].join(', ')} }`;
  const comment = `comment "${COMMENT_PREFIX} to=${to.name} mode=${mode}"`;
  const rule = (verdict: string) => `add rule inet ${CUT_TABLE} output ip daddr ${addresses} ${verdict} ${comment}`;
  return mode === 'drop'
    ? [rule('drop')]
    : // TCP gets a reset (connection refused); anything else an ICMP port unreachable.
      [rule('meta l4proto tcp reject with tcp reset'), rule('reject')];
}

const TABLE_AND_CHAIN = [
  `table inet ${CUT_TABLE} {`,
  '  chain output { type filter hook output priority 0; policy accept; }',
  '}',
];

/** Cuts every path from each of `from` to each of `to` (and back with `both`); cutting again replaces the mode. */
export async function cut(
  journal: HostJournal,
  from: readonly Host[],
  to: readonly Host[],
  options: { mode: CutMode; both?: boolean },
): Promise<void> {
  const pairs = from.flatMap((f) => to.filter((t) => t.name !== f.name).map((t) => [f, t] as const));
  const directed = options.both ? [...pairs, ...pairs.map(([f, t]) => [t, f] as const)] : pairs;
  const bySource = new Map<Host, Host[]>();
  for (const [f, t] of directed) bySource.set(f, [...(bySource.get(f) ?? []), t]);
  for (const [source, targets] of bySource) {
    journal.record({ kind: 'nft', netns: source.netns, family: 'inet', table: CUT_TABLE });
    const existing = await rulesIn(source);
    const names = new Set(targets.map((t) => t.name));
    const script = [
      ...TABLE_AND_CHAIN,
      ...existing.filter((r) => names.has(r.to)).map((r) => `delete rule inet ${CUT_TABLE} output handle ${r.handle}`),
      ...targets.flatMap((t) => cutRules(t, options.mode)),
    ];
    await runCommand(inHost(source, ['nft', '-f', '-']), `${script.join('\n')}\n`);
  }
}

/** Removes the cuts between each of `a` and each of `b`, both directions; without hosts, every cut. */
export async function heal(plan: HostNetworkPlan, between?: { a: readonly Host[]; b: readonly Host[] }): Promise<void> {
  if (!between) {
    for (const host of plan.hosts) {
      await runIgnoring(inHost(host, ['nft', 'delete', 'table', 'inet', CUT_TABLE]), GONE);
    }
    return;
  }
  const pairs = between.a.flatMap((a) => between.b.flatMap((b) => [[a, b] as const, [b, a] as const]));
  const bySource = new Map<Host, Set<string>>();
  for (const [f, t] of pairs) bySource.set(f, (bySource.get(f) ?? new Set()).add(t.name));
  for (const [source, targets] of bySource) {
    const handles = (await rulesIn(source)).filter((r) => targets.has(r.to)).map((r) => r.handle);
    if (handles.length === 0) continue;
    const script = handles.map((h) => `delete rule inet ${CUT_TABLE} output handle ${h}`);
    await runCommand(inHost(source, ['nft', '-f', '-']), `${script.join('\n')}\n`);
  }
}

/** Every cut of the landscape, one per source, destination and mode. */
export async function listCuts(plan: HostNetworkPlan): Promise<Cut[]> {
  const cuts = new Map<string, Cut>();
  for (const host of plan.hosts) {
    for (const rule of await rulesIn(host)) {
      const c = { from: host.name, to: rule.to, mode: rule.mode };
      cuts.set(`${c.from} ${c.to} ${c.mode}`, c);
    }
  }
  return [...cuts.values()];
}

interface CutRule {
  handle: number;
  to: string;
  mode: CutMode;
}

/** The cut rules in `host`'s table (none when it has no table, or its namespace is gone). */
async function rulesIn(host: Host): Promise<CutRule[]> {
  let text: string;
  try {
    text = (await runCommand(inHost(host, ['nft', '-j', '-a', 'list', 'chain', 'inet', CUT_TABLE, 'output']))).stdout;
  } catch {
    return [];
  }
  const items = (JSON.parse(text) as { nftables: { rule?: { handle: number; comment?: string } }[] }).nftables;
  return items.flatMap(({ rule }) => {
    const match = rule?.comment
      ? new RegExp(`^${COMMENT_PREFIX} to=(\\S+) mode=(drop|reject)$`).exec(rule.comment)
      : null;
    return rule && match ? [{ handle: rule.handle, to: match[1]!, mode: match[2] as CutMode }] : [];
  });
}
