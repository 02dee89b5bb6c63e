/** CloudProfile, SecretBinding, CredentialsBinding and Quota: their validation and their columns. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ResourceDefinition } from '../../../src/apiserver/types.js';
import { localCloudProfile, localSecretBinding } from '../../../src/garden/local-setup.js';
import { cloudProfileDefinition } from '../../../src/registry/core-gardener/cloud-profile.js';
import { quotaDefinition } from '../../../src/registry/core-gardener/quota.js';
import { secretBindingDefinition } from '../../../src/registry/core-gardener/secret-binding.js';
import { credentialsBindingDefinition } from '../../../src/registry/security-gardener/credentials-binding.js';
import type { Json } from '../../helpers/api-client.js';

function cells(def: ResourceDefinition, obj: KubeObject): unknown[] {
  return (def.columns ?? []).filter((c) => c.name !== 'AGE').map((c) => c.cell(obj));
}

/** `path: message` of each error `validate` (create) or `validateUpdate` finds. */
function errors(def: ResourceDefinition, obj: KubeObject, old?: KubeObject): string[] {
  const found = old ? def.strategy.validateUpdate!(obj, old) : def.strategy.validate!(obj);
  return found.map((e) => `${e.path}: ${e.message}`);
}

describe('CloudProfile', () => {
  it('accepts the local profile and shows its provider', () => {
    assert.deepEqual(errors(cloudProfileDefinition, localCloudProfile()), []);
    assert.deepEqual(cells(cloudProfileDefinition, localCloudProfile()), ['local']);
  });

  it('refuses what Gardener refuses: no versions, bad versions, duplicates, quantities, classifications', () => {
    const profile: Json = localCloudProfile();
    profile.spec.kubernetes.versions.push(
      { version: '1.31.1' },
      { version: '1.31', classification: 'stable' },
      { version: '1.30.9', expirationDate: 'soon' },
    );
    profile.spec.machineTypes.push({ name: 'big', cpu: 'lots', memory: '1Gi' });
    profile.spec.machineImages.push({ name: 'empty', versions: [] });
    profile.spec.regions.push({ name: 'local' });
    delete profile.spec.type;
    assert.deepEqual(errors(cloudProfileDefinition, profile), [
      'spec.type: Required value',
      'spec.kubernetes.versions[10].version: Duplicate value: "1.31.1"',
      'spec.kubernetes.versions[11].version: Invalid value: "1.31": could not parse version: must be x.y.z',
      'spec.kubernetes.versions[11].classification: Unsupported value: "stable": supported values: "preview", "supported", "deprecated"',
      'spec.kubernetes.versions[12].expirationDate: Invalid value: "soon": must be an RFC 3339 date',
      'spec.machineTypes[1].cpu: Invalid value: "lots": must be a non-negative quantity',
      'spec.machineTypes[1].gpu: Required value',
      'spec.machineImages[1].versions: Required value: must provide at least one version for the machine image',
      'spec.regions[1].name: Duplicate value: "local"',
    ]);
    assert.deepEqual(errors(cloudProfileDefinition, { metadata: { name: 'x' }, spec: { type: 'local' } }), [
      'spec.kubernetes: Required value',
      'spec.machineTypes: Required value: must provide at least one machine type',
      'spec.machineImages: Required value: must provide at least one machine image',
      'spec.regions: Required value: must provide at least one region',
    ]);
  });
});

describe('SecretBinding and CredentialsBinding', () => {
  const credentials = (): KubeObject => ({
    metadata: { name: 'cb', namespace: 'garden-dev' },
    credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: 'local', namespace: 'garden-dev' },
    provider: { type: 'local' },
  });

  it('accept the local setup’s and show Gardener’s columns', () => {
    const { binding } = localSecretBinding('garden-dev');
    assert.deepEqual(errors(secretBindingDefinition, binding), []);
    assert.deepEqual(cells(secretBindingDefinition, binding), ['garden-dev/local', 'local']);
    assert.deepEqual(errors(credentialsBindingDefinition, credentials()), []);
    assert.deepEqual(cells(credentialsBindingDefinition, credentials()), ['local', 'v1', 'Secret', 'garden-dev/local']);
  });

  it('default the secret’s namespace to their own and require a provider type', () => {
    const binding: KubeObject = { metadata: { name: 'b', namespace: 'garden-dev' }, secretRef: { name: 's' } };
    secretBindingDefinition.strategy.prepareForCreate!(binding);
    assert.deepEqual(binding.secretRef, { name: 's', namespace: 'garden-dev' });
    assert.deepEqual(errors(secretBindingDefinition, binding), [
      'provider.type: Required value: must specify a provider type',
    ]);
  });

  it('refuse other credential kinds and never change what they point at', () => {
    const wrong = credentials();
    (wrong.credentialsRef as Record<string, unknown>).kind = 'ConfigMap';
    assert.deepEqual(errors(credentialsBindingDefinition, wrong), [
      'credentialsRef: Unsupported value: "v1.ConfigMap": supported values: "v1.Secret", "security.gardener.cloud/v1alpha1.WorkloadIdentity"',
    ]);
    const moved = credentials();
    (moved.credentialsRef as Record<string, unknown>).name = 'other';
    (moved.provider as Record<string, unknown>).type = 'aws';
    assert.deepEqual(
      errors(credentialsBindingDefinition, moved, credentials()).map((e) => e.slice(0, e.indexOf(':'))),
      ['credentialsRef', 'provider'],
    );
  });
});

describe('Quota', () => {
  const quota = (spec: Record<string, unknown>): KubeObject => ({
    metadata: { name: 'q', namespace: 'garden-dev' },
    spec,
  });

  it('accepts a project quota and shows its scope and lifetime', () => {
    const q = quota({
      scope: { apiVersion: 'core.gardener.cloud/v1beta1', kind: 'Project' },
      clusterLifetimeDays: 14,
      metrics: { cpu: '200', memory: '4000Gi' },
    });
    assert.deepEqual(errors(quotaDefinition, q), []);
    assert.deepEqual(cells(quotaDefinition, q), ['core.gardener.cloud/v1beta1.Project', '14 days']);
  });

  it('refuses an unknown scope, a lifetime below a day and negative metrics', () => {
    assert.deepEqual(
      errors(
        quotaDefinition,
        quota({ scope: { apiVersion: 'v1', kind: 'Pod' }, clusterLifetimeDays: 0, metrics: { cpu: '-1' } }),
      ).map((e) => e.slice(0, e.indexOf(':'))),
      ['spec.scope', 'spec.clusterLifetimeDays', 'spec.metrics[cpu]'],
    );
  });
});
