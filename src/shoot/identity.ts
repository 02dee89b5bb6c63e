/**
 * Names and addresses that identify a shoot's control plane wherever it runs. They derive from
 * the shoot's project, name and uid only, so every seed computes the same ones: the control-plane
 * namespace (Gardener's technical ID), the BackupEntry name, and the stable API address.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/meta.js';

/** `garden-dev` → `dev`: Gardener's project namespaces are `garden-<project>`. */
export function projectOf(shoot: KubeObject): string {
  const namespace = shoot.metadata.namespace ?? '';
  return namespace.startsWith('garden-') ? namespace.slice('garden-'.length) : namespace;
}

/** The control-plane namespace in the seed: `shoot--<project>--<name>`. */
export function technicalId(shoot: KubeObject): string {
  return `shoot--${projectOf(shoot)}--${shoot.metadata.name}`;
}

/** Gardener's BackupEntry name: `<technical id>--<shoot uid>`. */
export function backupEntryName(shoot: KubeObject): string {
  return `${technicalId(shoot)}--${shoot.metadata.uid}`;
}

/** The BackupEntry a Restore creates for the backups still in the source seed's bucket: `source-<entry>`. */
export function sourceBackupEntryName(shoot: KubeObject): string {
  return `source-${backupEntryName(shoot)}`;
}

/**
 * The shoot's own loopback address in 127.64.0.0/10 (4 M addresses: collisions between a
 * landscape's shoots are unlikely, and a clash fails loudly at bind time). It never changes.
 */
export function stableApiAddress(shoot: KubeObject): string {
  const digest = createHash('sha256')
    .update(shoot.metadata.uid ?? '')
    .digest();
  const b1 = 64 + (digest[0]! % 64);
  const b2 = digest[1]!;
  const b3 = 1 + (digest[2]! % 254);
  return `127.${b1}.${b2}.${b3}`;
}

/** The port every shoot API server listens on at its own address: 443 as root, else 6443. */
export function stableApiPort(): number {
  return process.getuid?.() === 0 ? 443 : 6443;
}

export function stableApiUrl(shoot: KubeObject): string {
  return `https://${stableApiAddress(shoot)}:${stableApiPort()}`;
}
