/**
 * ControllerRegistration and ControllerInstallation: Gardener's defaults and update rules, the
 * installations' names, and the pure judgements the garden and the gardenlet make from them
 * (what a shoot needs, what a seed lacks, the seed's ExtensionsReady).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ControllerInstallation,
  type ControllerRegistration,
  controllerInstallationName,
  missingExtensions,
  requiredExtensionsForSeed,
  requiredExtensionsForShoot,
  type Seed,
  type Shoot,
} from '../../../src/api/core-gardener/index.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { controllerInstallationDefinition } from '../../../src/registry/core-gardener/controller-installation.js';
import { controllerRegistrationDefinition } from '../../../src/registry/core-gardener/controller-registration.js';
import { extensionsReadyCondition } from '../../../src/seed/gardenlet/controller-installation-controller.js';

const registration = (name: string, policy: string, ids: string[]): ControllerRegistration => ({
  metadata: { name },
  spec: {
    resources: ids.map((id) => ({ kind: id.split('/')[0]!, type: id.split('/')[1]! })),
    deployment: { policy: policy as 'Always' },
  },
});

const installation = (registrationName: string, seed: string, installed?: boolean): ControllerInstallation => ({
  metadata: { name: `${registrationName}-${seed}` },
  spec: { registrationRef: { name: registrationName }, seedRef: { name: seed } },
  ...(installed === undefined
    ? {}
    : {
        status: {
          conditions: [
            { type: 'Valid', status: 'True' },
            { type: 'Installed', status: installed ? 'True' : 'False', message: installed ? '' : 'runs no controller' },
            { type: 'Healthy', status: installed ? 'True' : 'False' },
            { type: 'Progressing', status: 'False' },
          ],
        },
      }),
});

describe('ControllerRegistration strategy', () => {
  it('defaults primary and the policy on create and on update, and keeps primary immutable', () => {
    const strategy = controllerRegistrationDefinition.strategy;
    const obj: KubeObject = {
      metadata: { name: 'provider-local' },
      spec: { resources: [{ kind: 'Worker', type: 'local' }], deployment: {} },
    };
    strategy.prepareForCreate!(obj);
    assert.deepEqual(obj.spec, {
      resources: [{ kind: 'Worker', type: 'local', primary: true }],
      deployment: { policy: 'OnDemand' },
    });
    const update: KubeObject = {
      metadata: { name: 'provider-local' },
      spec: { resources: [{ kind: 'Worker', type: 'local' }] },
    };
    strategy.prepareForUpdate!(update, obj);
    assert.deepEqual(strategy.validateUpdate!(update, obj), []);
    const flipped: KubeObject = {
      metadata: { name: 'provider-local' },
      spec: { resources: [{ kind: 'Worker', type: 'local', primary: false }] },
    };
    assert.deepEqual(
      strategy.validateUpdate!(flipped, obj).map((e) => [e.path, e.type]),
      [['spec.resources[0].primary', 'FieldImmutable']],
    );
  });

  it('forbids a seed selector for a primary controller', () => {
    const obj: KubeObject = {
      metadata: { name: 'x' },
      spec: {
        resources: [{ kind: 'Worker', type: 'local' }],
        deployment: { seedSelector: { matchLabels: { a: 'b' } } },
      },
    };
    assert.deepEqual(
      controllerRegistrationDefinition.strategy.validate!(obj).map((e) => [e.path, e.type]),
      [['spec.deployment.seedSelector', 'FieldValueForbidden']],
    );
  });
});

describe('ControllerInstallation', () => {
  it('keeps its registration and seed', () => {
    const old: KubeObject = {
      metadata: { name: 'i' },
      spec: { registrationRef: { name: 'a' }, seedRef: { name: 's' } },
    };
    const moved: KubeObject = {
      metadata: { name: 'i' },
      spec: { registrationRef: { name: 'b' }, seedRef: { name: 't' } },
    };
    assert.deepEqual(
      controllerInstallationDefinition.strategy.validateUpdate!(moved, old).map((e) => e.path),
      ['spec.registrationRef.name', 'spec.seedRef.name'],
    );
  });

  it('is named <registration>-<seed>, hashed beyond 63 characters', () => {
    assert.equal(controllerInstallationName('provider-local', 'seed-a'), 'provider-local-seed-a');
    const long = controllerInstallationName('provider-local', 'a'.repeat(60));
    assert.equal(long.length, 63);
    assert.match(long, /^provider-local-a+-[0-9a-f]{10}$/);
    assert.notEqual(long, controllerInstallationName('provider-local', `${'a'.repeat(60)}b`));
  });
});

describe('required and missing extensions', () => {
  const seed: Seed = {
    metadata: { name: 'seed-c' },
    spec: { provider: { type: 'other' }, backup: { provider: 'local' } },
  };
  const shoot: Shoot = {
    metadata: { name: 's', namespace: 'garden-dev' },
    spec: { provider: { type: 'local', workers: [{ name: 'w', minimum: 1, maximum: 1 } as never] } },
  };

  it("asks for the provider kinds only with workers, the seed backup (and a source seed's entries) and internal domain always", () => {
    assert.deepEqual([...requiredExtensionsForShoot(shoot, seed, 'rfc2136')].sort(), [
      'BackupBucket/local',
      'BackupEntry/local',
      'ControlPlane/local',
      'DNSRecord/rfc2136',
      'Infrastructure/local',
      'Worker/local',
    ]);
    const s3Source: Seed = { metadata: { name: 'seed-a' }, spec: { backup: { provider: 's3' } } };
    assert.ok(requiredExtensionsForShoot(shoot, seed, undefined, s3Source).has('BackupEntry/s3'));
    const workerless: Shoot = { ...shoot, spec: { provider: { type: 'local' } } };
    assert.deepEqual([...requiredExtensionsForShoot(workerless, seed)].sort(), [
      'BackupBucket/local',
      'BackupEntry/local',
    ]);
    assert.deepEqual([...requiredExtensionsForSeed(seed)].sort(), [
      'BackupBucket/local',
      'ControlPlane/other',
      'Infrastructure/other',
      'Worker/other',
    ]);
  });

  it('names what no installed registration serves, and takes an uninstalled on-demand one on trust', () => {
    const registrations = [
      registration('provider-local', 'Always', ['Worker/local', 'ControlPlane/local']),
      registration('backup-local', 'Always', ['BackupBucket/local']),
      registration('dns', 'OnDemand', ['DNSRecord/rfc2136']),
    ];
    const installations = [
      installation('provider-local', 'seed-c', false),
      installation('backup-local', 'seed-c', true),
    ];
    const required = [
      'BackupBucket/local',
      'ControlPlane/local',
      'DNSRecord/rfc2136',
      'Worker/aws',
      'Worker/local',
    ] as const;
    assert.deepEqual(missingExtensions(required, registrations, installations), [
      { id: 'ControlPlane/local', reason: 'ControllerInstallation provider-local-seed-c: runs no controller' },
      { id: 'Worker/aws', reason: 'no ControllerRegistration serves it' },
      { id: 'Worker/local', reason: 'ControllerInstallation provider-local-seed-c: runs no controller' },
    ]);
    // An Always registration whose installation is missing or not reported yet is not trusted.
    assert.deepEqual(
      missingExtensions(['BackupBucket/local'], registrations, [installation('backup-local', 'seed-c')]).map(
        (m) => m.reason,
      ),
      ['ControllerInstallation backup-local-seed-c is not installed and healthy yet'],
    );
    assert.deepEqual(
      missingExtensions(['BackupBucket/local'], registrations, []).map((m) => m.reason),
      ['no ControllerInstallation of backup-local on this seed'],
    );
  });

  it("computes the seed's ExtensionsReady as Gardener does", () => {
    assert.equal(extensionsReadyCondition([]).status, 'True');
    assert.equal(extensionsReadyCondition([installation('a', 's', true)]).reason, 'AllExtensionsReady');
    const notInstalled = extensionsReadyCondition([installation('a', 's', true), installation('b', 's', false)]);
    assert.deepEqual(
      [notInstalled.status, notInstalled.reason, notInstalled.message],
      ['False', 'NotAllExtensionsInstalled', 'Some extensions are not installed: b-s: runs no controller'],
    );
    assert.equal(extensionsReadyCondition([installation('a', 's')]).reason, 'NotAllExtensionsInstalled');
  });
});
