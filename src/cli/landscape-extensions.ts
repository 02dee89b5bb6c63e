/**
 * The landscape's extension registrations, as Gardener's local setup registers provider-local:
 * one ControllerRegistration per extension package a seed's process can run, with policy
 * `Always` (every seed gets a ControllerInstallation for each, and its gardenlet reports whether
 * it runs it), applied idempotently on every `up`. `up` is ready once every seed has reported on
 * its installations, so that placing a shoot right after it is judged on what the seeds run.
 */
import {
  type ControllerRegistration,
  controllerInstallationResource,
  controllerRegistrationResource,
  deploymentPolicy,
  GARDENER_API_VERSION,
  registrationSelectsSeed,
  seedResource,
} from '../api/core-gardener/index.js';
import { createOrPatch } from '../client/create-or-patch.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { EXTENSION_PACKAGES, type ExtensionPackage } from '../seed/extensions/extension-packages.js';

export function extensionRegistration(pkg: ExtensionPackage): ControllerRegistration {
  return {
    apiVersion: GARDENER_API_VERSION,
    kind: 'ControllerRegistration',
    metadata: { name: pkg.name },
    spec: {
      resources: pkg.resources.map((r) => ({ kind: r.kind, type: r.type, primary: true })),
      deployment: { policy: 'Always' },
    },
  };
}

/** Creates or brings in line a ControllerRegistration per extension package. */
export async function registerExtensions(gardenKubeconfig: string): Promise<void> {
  const garden = new RestClient(loadKubeconfig(gardenKubeconfig), { userAgent: 'transplant-up' });
  try {
    const registrations = garden.resource(controllerRegistrationResource);
    for (const pkg of EXTENSION_PACKAGES) {
      const registration = extensionRegistration(pkg);
      // The resources are the process's truth; the deployment is the operator's to change.
      await createOrPatch(registrations, '', registration, { spec: { resources: registration.spec.resources } });
    }
  } finally {
    garden.close();
  }
}

/**
 * Waits until every seed has an installation of each registration of policy Always that selects
 * it, and its gardenlet has reported Installed on each of its installations.
 */
export async function waitUntilExtensionsReported(
  gardenKubeconfig: string,
  seeds: readonly string[],
  deadline: number,
): Promise<void> {
  const garden = new RestClient(loadKubeconfig(gardenKubeconfig), { userAgent: 'transplant-up' });
  try {
    for (;;) {
      const [registrations, installations, seedObjects] = await Promise.all([
        garden.resource(controllerRegistrationResource).list(''),
        garden.resource(controllerInstallationResource).list(''),
        garden.resource(seedResource).list(''),
      ]);
      const waiting = seeds.filter((seed) => {
        const labels = seedObjects.items.find((s) => s.metadata.name === seed)?.metadata.labels;
        const always = registrations.items.filter(
          (r) => deploymentPolicy(r) === 'Always' && registrationSelectsSeed(r, labels),
        ).length;
        const own = installations.items.filter((i) => i.spec.seedRef?.name === seed);
        const reported = own.filter((i) => (i.status?.conditions ?? []).some((c) => c.type === 'Installed'));
        return !labels || own.length < always || reported.length < own.length;
      });
      if (waiting.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`the seeds ${waiting.join(', ')} did not report on their ControllerInstallations in time`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    garden.close();
  }
}
