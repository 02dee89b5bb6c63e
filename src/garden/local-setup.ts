/**
 * What Gardener's local setup puts into the garden before any shoot (its
 * `example/provider-local/garden/base`): the `local` CloudProfile, and in a project namespace the
 * provider Secret with the SecretBinding shoots name. `transplant up` registers the profile; the
 * examples (examples/10-project.yaml) carry the Secret and binding; tests that start a garden of
 * their own register both through `registerLocalSetup`.
 *
 * Kubernetes versions: 1.27 to 1.36. kubectl on this machine is the gcloud dispatcher, which
 * runs the kubectl of the server's minor (binaries 1.27 to 1.33) and, past 1.33, its own 1.32
 * client (`kubectl version` then warns about the skew; other commands work as before). So 1.27
 * to 1.33 are `supported`, and 1.34 to 1.36 are `preview`: a shoot gets them only by naming them
 * exactly, never by defaulting (`1`, `1.34` or an empty version). docs/garden-api.md says more.
 */
import { secretResource } from '../api/core/secret.js';
import type { CloudProfile, SecretBinding } from '../api/core-gardener/index.js';
import { cloudProfileResource, secretBindingResource } from '../api/core-gardener/index.js';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';

/** The profile's name, its provider type and region, and its only machine type and image. */
export const LOCAL_CLOUD_PROFILE = 'local';
export const LOCAL_PROVIDER_TYPE = 'local';
/** The SecretBinding (and its Secret) the examples' shoots name. */
export const LOCAL_SECRET_BINDING = 'local';

/** The versions the `local` profile offers, newest first (see the module comment for the split). */
export const LOCAL_KUBERNETES_VERSIONS: readonly { version: string; classification: 'preview' | 'supported' }[] = [
  { version: '1.36.0', classification: 'preview' },
  { version: '1.35.0', classification: 'preview' },
  { version: '1.34.0', classification: 'preview' },
  { version: '1.33.0', classification: 'supported' },
  { version: '1.32.0', classification: 'supported' },
  { version: '1.31.1', classification: 'supported' },
  { version: '1.30.0', classification: 'supported' },
  { version: '1.29.0', classification: 'supported' },
  { version: '1.28.2', classification: 'supported' },
  { version: '1.27.1', classification: 'supported' },
];

/** The `local` CloudProfile, shaped like Gardener's local setup's. */
export function localCloudProfile(): CloudProfile {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'CloudProfile',
    metadata: { name: LOCAL_CLOUD_PROFILE },
    spec: {
      type: LOCAL_PROVIDER_TYPE,
      regions: [{ name: 'local', zones: [{ name: '0' }] }],
      kubernetes: { versions: LOCAL_KUBERNETES_VERSIONS.map((v) => ({ ...v })) },
      // Not the machines' capacity: Transplant's node agents take what the host has.
      machineTypes: [{ name: 'local', cpu: '1', gpu: '0', memory: '8Gi', usable: true, architecture: 'amd64' }],
      machineImages: [
        { name: 'local', versions: [{ version: '1.0.0', cri: [{ name: 'containerd' }], architectures: ['amd64'] }] },
      ],
    },
  };
}

/** The provider Secret (provider-local needs no credentials: it is empty) and the SecretBinding naming it. */
export function localSecretBinding(namespace: string): { secret: KubeObject; binding: SecretBinding } {
  return {
    secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: LOCAL_SECRET_BINDING, namespace }, type: 'Opaque' },
    binding: {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'SecretBinding',
      metadata: { name: LOCAL_SECRET_BINDING, namespace },
      secretRef: { name: LOCAL_SECRET_BINDING, namespace },
      provider: { type: LOCAL_PROVIDER_TYPE },
    },
  };
}

/** Creates the `local` CloudProfile unless one exists (an operator's edits stay). */
export async function registerLocalCloudProfile(client: Client): Promise<void> {
  await client.resource(cloudProfileResource).createIfAbsent('', localCloudProfile());
}

/** The profile, and in each of `namespaces` the Secret and SecretBinding `local`; idempotent. */
export async function registerLocalSetup(client: Client, namespaces: readonly string[]): Promise<void> {
  await registerLocalCloudProfile(client);
  for (const namespace of namespaces) {
    const { secret, binding } = localSecretBinding(namespace);
    await client.resource(secretResource).createIfAbsent(namespace, secret);
    await client.resource(secretBindingResource).createIfAbsent(namespace, binding);
  }
}
