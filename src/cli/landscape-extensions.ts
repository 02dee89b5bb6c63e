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
  GARDENER_API_VERSION,
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
      await createOrPatch(registrations, '', registration, { spec: registration.spec });
    }
  } finally {
    garden.close();
  }
}

/** Waits until each seed's gardenlet has reported Installed on an installation of every package. */
export async function waitUntilExtensionsReported(
  gardenKubeconfig: string,
  seeds: readonly string[],
  deadline: number,
): Promise<void> {
  const garden = new RestClient(loadKubeconfig(gardenKubeconfig), { userAgent: 'transplant-up' });
  try {
    for (;;) {
      const installations = (await garden.resource(controllerInstallationResource).list('')).items;
      const reported = (seed: string) =>
        installations.filter(
          (i) => i.spec.seedRef?.name === seed && (i.status?.conditions ?? []).some((c) => c.type === 'Installed'),
        ).length;
      const waiting = seeds.filter((seed) => reported(seed) < EXTENSION_PACKAGES.length);
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
