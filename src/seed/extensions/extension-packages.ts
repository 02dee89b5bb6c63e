/**
 * The extension controllers a seed's process can run, in the packages an operator registers them
 * as (one ControllerRegistration each, `transplant up`) and turns on per seed
 * (`transplant seed --extensions`). What a seed runs is what its gardenlet reports in its
 * ControllerInstallations: Installed only where a controller of this process serves every kind
 * and type of the registration.
 */
import { type ExtensionId, extensionId } from '../../api/core-gardener/controller-registration.js';

export interface ExtensionPackage {
  /** The ControllerRegistration's name (Gardener's naming: `provider-local`, …). */
  name: string;
  resources: readonly { kind: string; type: string }[];
}

const resources = (type: string, ...kinds: string[]) => kinds.map((kind) => ({ kind, type }));

/** Every package this process has; a seed runs all of them unless `--extensions` names fewer. */
export const EXTENSION_PACKAGES: readonly ExtensionPackage[] = Object.freeze([
  // The local provider: machines are node agents on the landscape's infrastructure directory,
  // what Infrastructure and ControlPlane stand for lives in the objects; its DNS records
  // are names this machine resolves (nothing is published).
  { name: 'provider-local', resources: resources('local', 'ControlPlane', 'DNSRecord', 'Infrastructure', 'Worker') },
  // DNSRecords published on a DNS server with RFC 2136 updates (the hosts landscape's Knot).
  { name: 'dns-rfc2136', resources: resources('rfc2136', 'DNSRecord') },
  // etcd backups in a directory, and in an S3(-compatible) bucket.
  { name: 'backup-local', resources: resources('local', 'BackupBucket', 'BackupEntry') },
  { name: 'backup-s3', resources: resources('s3', 'BackupBucket', 'BackupEntry') },
]);

/** The packages `--extensions` names (comma-separated); all of them without the flag. */
export function extensionPackagesFromFlag(list: string | undefined): ExtensionPackage[] {
  if (list === undefined) return [...EXTENSION_PACKAGES];
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  return names.map((name) => {
    const found = EXTENSION_PACKAGES.find((p) => p.name === name);
    if (!found) {
      throw new Error(
        `--extensions: no extension package ${JSON.stringify(name)} (known: ${EXTENSION_PACKAGES.map((p) => p.name).join(', ')})`,
      );
    }
    return found;
  });
}

/** The kinds and types a set of packages serves. */
export class ServedExtensions {
  readonly packages: readonly ExtensionPackage[];
  readonly #ids: ReadonlySet<ExtensionId>;

  constructor(packages: readonly ExtensionPackage[]) {
    this.packages = packages;
    this.#ids = new Set(packages.flatMap((p) => p.resources.map((r) => extensionId(r.kind, r.type))));
  }

  serves(id: ExtensionId): boolean {
    return this.#ids.has(id);
  }

  /** The types of `kind` served (empty: no controller of that kind runs). */
  typesOf(kind: string): ReadonlySet<string> {
    return new Set(this.packages.flatMap((p) => p.resources.filter((r) => r.kind === kind).map((r) => r.type)));
  }

  /** `provider-local,backup-local`: what the process runs, for messages. */
  toString(): string {
    return this.packages.map((p) => p.name).join(',') || '<none>';
  }
}
