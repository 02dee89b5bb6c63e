/**
 * The local provider's hosts for machines: when the landscape runs its parts as hosts (network
 * namespaces, `transplant up --hosts`), its "cloud" — the infrastructure directory every seed
 * shares — lists the hosts machines may run on (`hosts.json`). Each machine takes one free host;
 * the claim is a file `hosts/<host>.claim` holding the machine's directory, created exclusively,
 * so two seeds (or a seed and its restarted self) never put two machines on one host. The claim
 * outlives the seed, like the machine; it goes when the machine is deleted.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** A host a machine can run on: its network namespace and the address that becomes the node's InternalIP. */
export interface MachineHost {
  name: string;
  netns: string;
  address: string;
}

export const MACHINE_HOSTS_FILE = 'hosts.json';
const CLAIMS_DIR = 'hosts';

/** Written by `transplant up --hosts`. */
export async function writeMachineHosts(infrastructureDir: string, hosts: readonly MachineHost[]): Promise<void> {
  await mkdir(infrastructureDir, { recursive: true, mode: 0o700 });
  await writeFile(join(infrastructureDir, MACHINE_HOSTS_FILE), `${JSON.stringify({ hosts }, null, 2)}\n`, {
    mode: 0o600,
  });
}

/** The machine hosts of the infrastructure, undefined when it has none (machines run on this host, as before). */
export async function readMachineHosts(infrastructureDir: string): Promise<MachineHost[] | undefined> {
  try {
    const { hosts } = JSON.parse(await readFile(join(infrastructureDir, MACHINE_HOSTS_FILE), 'utf8')) as {
      hosts: MachineHost[];
    };
    return hosts;
  } catch {
    return undefined;
  }
}

/** A machine directory's host: the one it claimed already, else the first free one; undefined when all are taken. */
export async function claimMachineHost(
  infrastructureDir: string,
  hosts: readonly MachineHost[],
  machineDir: string,
): Promise<MachineHost | undefined> {
  const claims = join(infrastructureDir, CLAIMS_DIR);
  await mkdir(claims, { recursive: true, mode: 0o700 });
  const owners = await claimOwners(infrastructureDir);
  const dir = resolve(machineDir);
  const mine = hosts.find((h) => owners.get(h.name) === dir);
  if (mine) return mine;
  for (const host of hosts) {
    if (owners.has(host.name)) continue;
    try {
      await writeFile(join(claims, `${host.name}.claim`), `${dir}\n`, { flag: 'wx', mode: 0o600 });
      return host;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return undefined;
}

/** Frees the host of a machine directory (the machine was deleted). */
export async function releaseMachineHost(infrastructureDir: string, machineDir: string): Promise<void> {
  const dir = resolve(machineDir);
  for (const [host, owner] of await claimOwners(infrastructureDir)) {
    if (owner === dir) await rm(join(infrastructureDir, CLAIMS_DIR, `${host}.claim`), { force: true });
  }
}

/** Host name → the machine directory that claimed it. */
async function claimOwners(infrastructureDir: string): Promise<Map<string, string>> {
  const claims = join(infrastructureDir, CLAIMS_DIR);
  const names = await readdir(claims).catch(() => [] as string[]);
  const owners = new Map<string, string>();
  for (const name of names.filter((n) => n.endsWith('.claim'))) {
    const owner = (await readFile(join(claims, name), 'utf8').catch(() => '')).trim();
    if (owner) owners.set(name.slice(0, -'.claim'.length), owner);
  }
  return owners;
}
