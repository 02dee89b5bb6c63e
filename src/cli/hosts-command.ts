/**
 * The commands that work on a running landscape's hosts: `transplant exec` (a command on a host,
 * with the garden kubeconfig) and `transplant cut` / `heal` / `cuts` (network cuts between hosts,
 * src/landscape/firewall.ts).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { type CutMode, cut, heal, listCuts } from '../landscape/firewall.js';
import { HostJournal } from '../landscape/journal.js';
import { type HostNetworkPlan, hostNamed, inHost, readHostPlan, resolveHosts } from '../landscape/netns.js';
import { readLandscape } from './landscape-file.js';

/** The host `transplant exec` runs commands on unless told otherwise. */
export const OPERATOR_HOST = 'operator';

/**
 * Runs `command` on a host of the landscape (default: the operator's) with `KUBECONFIG` set to
 * the garden kubeconfig, stdio inherited; resolves to its exit status (128 + signal number when a
 * signal ended it). A landscape without hosts runs it here.
 */
export async function runExec(options: { dir: string; host?: string }, command: readonly string[]): Promise<number> {
  const dir = resolve(options.dir);
  const landscape = await readLandscape(dir);
  if (!landscape) throw new Error(`no landscape in ${dir} (no landscape.json)`);
  const plan = await readHostPlan(dir);
  if (!plan && options.host) throw new Error(`the landscape in ${dir} has no hosts (started without --hosts)`);
  const argv = plan ? inHost(hostNamed(plan, options.host ?? OPERATOR_HOST), command) : [...command];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, KUBECONFIG: landscape.garden.kubeconfig },
  });
  return new Promise((resolveStatus, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== null) resolveStatus(code);
      else resolveStatus(128 + (signal ? signalNumber(signal) : 0));
    });
  });
}

export async function runCut(options: {
  dir: string;
  from: string;
  to: string;
  reject: boolean;
  both: boolean;
}): Promise<void> {
  const { dir, plan } = await hostPlan(options.dir);
  const mode: CutMode = options.reject ? 'reject' : 'drop';
  await cut(new HostJournal(dir), resolveHosts(plan, options.from), resolveHosts(plan, options.to), {
    mode,
    both: options.both,
  });
  process.stdout.write(`cut ${options.from} ${options.both ? '<->' : '->'} ${options.to} (${mode})\n`);
}

export async function runHeal(options: { dir: string; from?: string; to?: string; all: boolean }): Promise<void> {
  const { plan } = await hostPlan(options.dir);
  if (options.all) {
    if (options.from || options.to) throw new Error('heal takes FROM TO or --all, not both');
    await heal(plan);
    process.stdout.write('healed every cut\n');
    return;
  }
  if (!options.from || !options.to) throw new Error('heal needs FROM TO (host or group names) or --all');
  await heal(plan, { a: resolveHosts(plan, options.from), b: resolveHosts(plan, options.to) });
  process.stdout.write(`healed ${options.from} <-> ${options.to}\n`);
}

export async function runListCuts(options: { dir: string }): Promise<void> {
  const { plan } = await hostPlan(options.dir);
  for (const c of await listCuts(plan)) process.stdout.write(`${c.from} -> ${c.to} ${c.mode}\n`);
}

async function hostPlan(dirOption: string): Promise<{ dir: string; plan: HostNetworkPlan }> {
  const dir = resolve(dirOption);
  const plan = await readHostPlan(dir);
  if (!plan)
    throw new Error(`the landscape in ${dir} has no hosts (${join(dir, 'hosts.json')} missing: start it with --hosts)`);
  return { dir, plan };
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
