/**
 * Whether a seed runs the extensions a shoot needs, as the garden judges it for the binding
 * admission and the scheduler: every kind/type the shoot needs on that seed
 * (`requiredExtensionsForShoot`) must be served by a ControllerInstallation on the seed that its
 * gardenlet reports Installed and Healthy (Gardener's `RequiredExtensionsReady`, which Gardener's
 * shoot flow waits for; here a seed's process runs a fixed set of extension controllers, so a
 * seed lacking one would wait for ever, and the garden refuses to place the shoot there instead).
 * A garden without any ControllerRegistration (one not set up by `transplant up`) checks nothing.
 */
import { secretResource } from '../api/core/secret.js';
import {
  type ControllerInstallation,
  type ControllerRegistration,
  controllerInstallationResource,
  controllerRegistrationResource,
  INTERNAL_DOMAIN_SELECTOR,
  internalDomainProvider,
  type MissingExtension,
  missingExtensions,
  requiredExtensionsForShoot,
  type Seed,
  type Shoot,
} from '../api/core-gardener/index.js';
import type { Client } from '../client/client.js';

/** What the judgement reads from the garden. */
export interface ExtensionFacts {
  registrations(): Promise<ControllerRegistration[]>;
  /** The ControllerInstallations whose spec.seedRef is `seed`. */
  installationsOn(seed: string): Promise<ControllerInstallation[]>;
  /** The DNS provider type of the garden's internal domain, if it has one. */
  internalDomainProvider(): Promise<string | undefined>;
}

/** The facts as `client` (the garden's own, in process) reads them. */
export function gardenExtensionFacts(client: Client): ExtensionFacts {
  return {
    registrations: async () => (await client.resource(controllerRegistrationResource).list('')).items,
    installationsOn: async (seed) =>
      (await client.resource(controllerInstallationResource).list('', { fieldSelector: `spec.seedRef.name=${seed}` }))
        .items,
    internalDomainProvider: async () =>
      internalDomainProvider(
        (await client.resource(secretResource).list('garden', { labelSelector: INTERNAL_DOMAIN_SELECTOR })).items,
      ),
  };
}

/**
 * The kinds/types `shoot` needs that `seed` does not run (moving there from `sourceSeed`, when it
 * moves); none when the garden registers no extensions.
 */
export async function missingExtensionsOn(
  facts: ExtensionFacts,
  shoot: Shoot,
  seed: Seed,
  sourceSeed?: Seed,
): Promise<MissingExtension[]> {
  const registrations = await facts.registrations();
  if (registrations.length === 0) return [];
  const required = requiredExtensionsForShoot(shoot, seed, await facts.internalDomainProvider(), sourceSeed);
  return missingExtensions(required, registrations, await facts.installationsOn(seed.metadata.name!));
}

/**
 * `seed "seed-c" does not run the extensions the shoot needs: ControlPlane/local, Worker/local
 * (ControllerInstallation provider-local-seed-c: …)`, the kinds/types grouped by reason.
 */
export function describeMissingExtensions(seed: string, missing: readonly MissingExtension[]): string {
  const byReason = new Map<string, string[]>();
  for (const m of missing) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.id]);
  const parts = [...byReason].map(([reason, ids]) => `${ids.join(', ')} (${reason})`);
  return `seed "${seed}" does not run the extensions the shoot needs: ${parts.join('; ')}`;
}
