/**
 * Which extension kinds/types a shoot or a seed needs, and whether a seed has them installed:
 * Gardener's `ComputeRequiredExtensionsForShoot`, `ComputeRequiredExtensionsForSeed` and
 * `RequiredExtensionsReady` (`pkg/utils/gardener/{shoot,seed}.go`) for the kinds Transplant runs.
 * Left out: OperatingSystemConfig, ContainerRuntime, Network and generic Extensions (Transplant's
 * machines need none), and the seed provider's ControlPlane that Gardener adds to every shoot
 * as "a temporary work-around" for webhooks Transplant does not have.
 */
import type { ControllerInstallation } from './controller-installation.js';
import { installationSucceeded } from './controller-installation.js';
import {
  type ControllerRegistration,
  deploymentPolicy,
  type ExtensionId,
  extensionId,
  registrationServes,
} from './controller-registration.js';
import type { Seed } from './seed.js';
import type { Shoot } from './shoot.js';

/** The provider kinds a shoot with workers needs of its `spec.provider.type`. */
const PROVIDER_KINDS = ['ControlPlane', 'Infrastructure', 'Worker'] as const;

/**
 * All of `shoot` that `requiredExtensionsForShoot` reads, as one string: shoots with the same one
 * need the same on a seed, so a seed's thousands of shoots are asked once per distinct one.
 */
export function shootNeedsKey(shoot: Shoot): string {
  const provider = shoot.spec.provider;
  return JSON.stringify([provider?.type, (provider?.workers ?? []).length > 0, shoot.status?.seedName]);
}

/**
 * What `shoot` needs on `seed` (the same for every shoot of one `shootNeedsKey`): backups of the
 * seed's backup provider, its provider's kinds when it has workers (a workerless shoot needs
 * none, as in Gardener), and DNS records of the garden's internal domain provider
 * (`internalDomainProvider`, when the garden has one). Moving to `seed` from `sourceSeed`, the
 * Restore's `source-…` BackupEntry is of the source's backup provider (Gardener installs that
 * extension on the destination too, since v1.102).
 */
export function requiredExtensionsForShoot(
  shoot: Shoot,
  seed: Seed | undefined,
  internalDomainProvider?: string,
  sourceSeed?: Seed,
): Set<ExtensionId> {
  const required = new Set<ExtensionId>();
  const backup = seed?.spec.backup?.provider;
  if (backup) {
    required.add(extensionId('BackupBucket', backup));
    required.add(extensionId('BackupEntry', backup));
  }
  const sourceBackup = sourceSeed?.spec.backup?.provider;
  if (sourceBackup && sourceSeed !== seed) required.add(extensionId('BackupEntry', sourceBackup));
  const provider = shoot.spec.provider?.type;
  if (provider && (shoot.spec.provider?.workers ?? []).length > 0) {
    for (const kind of PROVIDER_KINDS) required.add(extensionId(kind, provider));
  }
  if (internalDomainProvider) required.add(extensionId('DNSRecord', internalDomainProvider));
  return required;
}

/** What a seed needs for itself: its provider's kinds and its backup bucket's provider. */
export function requiredExtensionsForSeed(seed: Seed): Set<ExtensionId> {
  const required = new Set<ExtensionId>();
  const provider = seed.spec.provider?.type;
  if (provider) for (const kind of PROVIDER_KINDS) required.add(extensionId(kind, provider));
  const backup = seed.spec.backup?.provider;
  if (backup) required.add(extensionId('BackupBucket', backup));
  return required;
}

/** Why a needed kind/type is not available on a seed. */
export interface MissingExtension {
  id: ExtensionId;
  /** What the seed's installations say (the not-Installed condition's message), or why there is none. */
  reason: string;
}

/**
 * The needed kinds/types a seed lacks: those no successful installation on it serves (Gardener's
 * `RequiredExtensionsReady`), each with the reason. `installations` are the seed's own.
 */
export function missingExtensions(
  required: Iterable<ExtensionId>,
  registrations: readonly ControllerRegistration[],
  installations: readonly ControllerInstallation[],
): MissingExtension[] {
  const byName = new Map(registrations.map((r) => [r.metadata.name!, r]));
  const missing: MissingExtension[] = [];
  for (const id of [...required].sort()) {
    const serving = registrations.filter((r) => registrationServes(r).includes(id));
    if (serving.length === 0) {
      missing.push({ id, reason: 'no ControllerRegistration serves it' });
      continue;
    }
    const candidates = installations.filter((i) => {
      const registration = byName.get(i.spec.registrationRef.name);
      return registration !== undefined && registrationServes(registration).includes(id);
    });
    if (candidates.some(installationSucceeded)) continue;
    // A registration installed on demand gets its installation once the shoot is placed; the
    // seed reports then whether it runs it. Only an `Always` one is there to judge beforehand.
    if (candidates.length === 0 && serving.every((r) => deploymentPolicy(r) !== 'Always')) continue;
    const notInstalled = candidates
      .map((i) => ({ name: i.metadata.name, c: i.status?.conditions?.find((c) => c.type === 'Installed') }))
      .find(({ c }) => c && c.status !== 'True');
    missing.push({
      id,
      reason: notInstalled
        ? `ControllerInstallation ${notInstalled.name}: ${notInstalled.c!.message || `Installed is ${notInstalled.c!.status}`}`
        : candidates.length > 0
          ? `ControllerInstallation ${candidates[0]!.metadata.name} is not installed and healthy yet`
          : `no ControllerInstallation of ${serving.map((r) => r.metadata.name).join(', ')} on this seed`,
    });
  }
  return missing;
}
