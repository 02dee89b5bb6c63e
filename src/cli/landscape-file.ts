/**
 * `DIR/landscape.json`, what `transplant up` writes of the landscape it started: read by every
 * other command (`down`, `exec`, `cut`, …), which therefore need not load what `up` loads.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LandscapeFile {
  ready: boolean;
  supervisorPid: number;
  garden: {
    url?: string;
    pid?: number;
    kubeconfig: string;
    memberKubeconfig: string;
    dir: string;
    /** With hosts: every replica (the first is `garden`, whose pid and dir are the fields above). */
    replicas?: Record<string, { pid?: number; dir: string; host: string }>;
  };
  /** `backupRoot` is where a local-provider seed keeps its bucket; absent with s3. */
  seeds: Record<string, { url?: string; pid?: number; kubeconfig: string; dir: string; backupRoot?: string }>;
  /** With `--monitoring`: the landscape's Prometheus (`url` on loopback) and its directory. */
  monitoring?: { url: string; pid?: number; dir: string };
  /** When everything (missing) had been started last, by the first `up` or a later one (ISO 8601). */
  convergedAt?: string;
  /** With `--hosts`: the landscape's network and each host's namespace and addresses. */
  network?: { subnet: string; bridge: string; domain: string };
  hosts?: Record<string, { netns: string; address: string; extraAddresses: string[] }>;
}

export function landscapePath(dir: string): string {
  return join(dir, 'landscape.json');
}

export async function readLandscape(dir: string): Promise<LandscapeFile | undefined> {
  try {
    return JSON.parse(await readFile(landscapePath(dir), 'utf8')) as LandscapeFile;
  } catch {
    return undefined;
  }
}
