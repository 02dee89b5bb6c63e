/**
 * Extension placement in one real garden, with the real kubectl: ControllerRegistrations and
 * ControllerInstallations (validation as 422s naming the field, Gardener's table), the garden's
 * controller creating an installation per registration and seed by the deployment policy, the
 * test standing in for three gardenlets' reports (seed-x runs everything; seed-y lacks the local
 * provider; seed-z is of provider type `other` and runs everything), then: the binding and a
 * create on seed-y are refused at spec.seedName, the binding to seed-z is accepted, the scheduler
 * places a shoot on seed-x only, and a gardenlet reaches its own installations and their
 * registrations only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { localCloudProfile, localSecretBinding } from '../../src/garden/local-setup.js';
import { issueSeedKubeconfigThroughApi } from '../../src/garden/seed-credentials.js';
import {
  assertRejected,
  bindingWithJq,
  createObject,
  getRaw,
  type Json,
  kubectlOk,
  kubectlVerbose,
  parseTable,
  patchStatus,
  seedManifest,
  shootManifest,
  shootPath,
  timestamp,
} from '../helpers/garden-e2e.js';
import { healthySeedConditions, startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/processes.js';

const NS = 'garden-dev';
const API = 'core.gardener.cloud/v1beta1';

const registration = (name: string, policy: string, resources: [string, string][]) => ({
  apiVersion: API,
  kind: 'ControllerRegistration',
  metadata: { name },
  spec: { resources: resources.map(([kind, type]) => ({ kind, type })), deployment: { policy } },
});

/** What a gardenlet reports on an installation: Installed and Healthy as given. */
function report(installed: boolean): object {
  const now = timestamp();
  const c = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: `${reason} (reported by test)`,
    lastTransitionTime: now,
    lastUpdateTime: now,
  });
  return {
    conditions: [
      c('Valid', 'True', 'RegistrationValid'),
      installed ? c('Installed', 'True', 'InstallationSuccessful') : c('Installed', 'False', 'ExtensionNotSupported'),
      installed ? c('Healthy', 'True', 'ControllerHealthy') : c('Healthy', 'False', 'ControllerNotInstalled'),
      c('Progressing', 'False', 'ControllerRolledOut'),
    ],
  };
}

describe('extension placement in the garden', { timeout: 120_000 }, () => {
  let g: TestGarden;
  let dir: string;

  const installationNames = async () =>
    JSON.parse(await kubectlOk(g.kubeconfig, ['get', 'controllerinstallations', '-o', 'json']))
      .items.map((i: Json) => i.metadata.name)
      .sort();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-placement-'));
    g = await startTestGarden({ scheduler: true, seedHeartbeatMaxAgeSeconds: 3600 });
    for (const [name, type] of [
      ['seed-x', 'local'],
      ['seed-y', 'local'],
      ['seed-z', 'other'],
    ] as const) {
      const seed = seedManifest(name);
      seed.spec.provider.type = type;
      await createObject(g.kubeconfig, seed);
      await patchStatus(g.kubeconfig, 'seed', name, {
        conditions: healthySeedConditions(),
        lastOperation: { type: 'Reconcile', state: 'Succeeded', progress: 100, lastUpdateTime: timestamp() },
      });
    }
    await createObject(
      g.kubeconfig,
      registration('provider-local', 'Always', [
        ['ControlPlane', 'local'],
        ['Infrastructure', 'local'],
        ['Worker', 'local'],
      ]),
    );
    await createObject(
      g.kubeconfig,
      registration('backup-local', 'Always', [
        ['BackupBucket', 'local'],
        ['BackupEntry', 'local'],
      ]),
    );
    await createObject(g.kubeconfig, registration('provider-aws', 'OnDemand', [['Worker', 'aws']]));
    // Shoot admission wants a profile and a binding of the shoot's provider type.
    const profile = localCloudProfile();
    const m5 = { name: 'm5', cpu: '2', gpu: '0', memory: '8Gi', usable: true, architecture: 'amd64' };
    await createObject(g.kubeconfig, {
      ...profile,
      metadata: { name: 'aws' },
      spec: { ...profile.spec, type: 'aws', machineTypes: [m5] },
    });
    const { secret, binding } = localSecretBinding(NS);
    await createObject(g.kubeconfig, { ...secret, metadata: { name: 'aws', namespace: NS } });
    await createObject(g.kubeconfig, {
      ...binding,
      metadata: { name: 'aws', namespace: NS },
      secretRef: { name: 'aws', namespace: NS },
      provider: { type: 'aws' },
    });
  });
  after(async () => {
    await g?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses an invalid ControllerRegistration and ControllerInstallation with 422s naming the fields', async () => {
    const bad = registration('bad', 'Sometimes', [
      ['Worker', 'local'],
      ['Gadget', 'x'],
      ['Worker', 'local'],
    ]);
    const result = await kubectlVerbose(g.kubeconfig, ['create', '-f', '-'], JSON.stringify(bad));
    assertRejected(result, {
      code: 422,
      reason: 'Invalid',
      message: 'spec.deployment.policy: Unsupported value: "Sometimes"',
      field: 'spec.resources[1].kind',
    });
    const fields = (result.status?.details?.causes ?? []).map((c) => c.field);
    assert.ok(fields.includes('spec.resources[2]'), JSON.stringify(fields));
    const noSeed = {
      apiVersion: API,
      kind: 'ControllerInstallation',
      metadata: { name: 'x' },
      spec: { registrationRef: { name: 'provider-local' } },
    };
    assertRejected(await kubectlVerbose(g.kubeconfig, ['create', '-f', '-'], JSON.stringify(noSeed)), {
      code: 422,
      reason: 'Invalid',
      message: 'either seedRef or shootRef must be set',
      field: 'spec.seedRef',
    });
    assert.equal((await kubectl(g.kubeconfig, ['get', 'controllerregistration', 'bad'])).code, 1);
  });

  it('creates an installation per Always registration and seed, none for an OnDemand one nothing needs', async () => {
    const want = ['backup-local', 'provider-local'].flatMap((r) =>
      ['seed-x', 'seed-y', 'seed-z'].map((s) => `${r}-${s}`),
    );
    await eventually(
      async () => JSON.stringify(await installationNames()) === JSON.stringify(want.sort()),
      30_000,
      'installations',
    );
    const installation = await getRaw(g.kubeconfig, `/apis/${API}/controllerinstallations/provider-local-seed-y`);
    assert.deepEqual(installation.spec.registrationRef, {
      apiVersion: API,
      kind: 'ControllerRegistration',
      name: 'provider-local',
    });
    assert.deepEqual(installation.spec.seedRef, { apiVersion: API, kind: 'Seed', name: 'seed-y' });
    assert.match(installation.metadata.labels['registration-spec-hash'], /^[0-9a-f]{16}$/);
    const registrationTable = parseTable(await kubectlOk(g.kubeconfig, ['get', 'ctrlreg']));
    assert.deepEqual(
      registrationTable.find((r) => r.NAME === 'provider-local')?.RESOURCES,
      'ControlPlane/local, Infrastructure/local, Worker/local',
    );

    // The gardenlets' reports: seed-y does not run the local provider.
    for (const seed of ['seed-x', 'seed-y', 'seed-z']) {
      await patchStatus(g.kubeconfig, 'controllerinstallation', `backup-local-${seed}`, report(true));
      await patchStatus(g.kubeconfig, 'controllerinstallation', `provider-local-${seed}`, report(seed !== 'seed-y'));
    }
    const table = parseTable(await kubectlOk(g.kubeconfig, ['get', 'controllerinstallations']));
    const row = table.find((r) => r.NAME === 'provider-local-seed-y')!;
    assert.deepEqual(
      [row.REGISTRATION, row.CLUSTER, row.VALID, row.INSTALLED, row.HEALTHY, row.PROGRESSING],
      ['provider-local', 'Seed/seed-y', 'True', 'False', 'False', 'False'],
    );
  });

  it('refuses to place a shoot on seed-y, which lacks its provider, by binding or on create', async () => {
    await createObject(g.kubeconfig, shootManifest(NS, 'placed', { seedName: 'seed-x' }));
    await patchStatus(
      g.kubeconfig,
      'shoot',
      'placed',
      {
        seedName: 'seed-x',
        lastOperation: { type: 'Create', state: 'Succeeded', progress: 100, lastUpdateTime: timestamp() },
      },
      NS,
    );
    const before = await getRaw(g.kubeconfig, shootPath(NS, 'placed'));
    const refused = await bindingWithJq(g.kubeconfig, NS, 'placed', '.spec.seedName = "seed-y"');
    assertRejected(refused, {
      code: 422,
      reason: 'Invalid',
      message:
        'spec.seedName: Invalid value: "seed-y": seed "seed-y" does not run the extensions the shoot needs: ControlPlane/local, Infrastructure/local, Worker/local (ControllerInstallation provider-local-seed-y: ExtensionNotSupported (reported by test))',
      field: 'spec.seedName',
    });
    const after = await getRaw(g.kubeconfig, shootPath(NS, 'placed'));
    assert.deepEqual(after, before);

    const create = await kubectlVerbose(
      g.kubeconfig,
      ['create', '-f', '-'],
      JSON.stringify(shootManifest(NS, 'on-y', { seedName: 'seed-y' })),
    );
    assertRejected(create, {
      code: 422,
      reason: 'Invalid',
      message: 'seed "seed-y" does not run',
      field: 'spec.seedName',
    });
    assert.equal((await kubectl(g.kubeconfig, ['get', 'shoot', '-n', NS, 'on-y'])).code, 1);

    // A kind/type no registration serves cannot run anywhere: provider-aws serves only Worker/aws.
    const aws = shootManifest(NS, 'on-aws', {
      seedName: 'seed-x',
      spec: {
        cloudProfileName: 'aws',
        secretBindingName: 'aws',
        provider: { type: 'aws', workers: [{ name: 'w', machine: { type: 'm5' }, minimum: 1, maximum: 1 }] },
      },
    });
    assertRejected(await kubectlVerbose(g.kubeconfig, ['create', '-f', '-'], JSON.stringify(aws)), {
      code: 422,
      reason: 'Invalid',
      message: 'ControlPlane/aws, Infrastructure/aws (no ControllerRegistration serves it)',
      field: 'spec.seedName',
    });
    // An OnDemand registration is installed where something needs it: provider-aws, now serving
    // every provider kind, on seed-x once a shoot of type aws is placed there (seed-x's gardenlet
    // would then report on it; until it has, the placement is not judged by it).
    await createObject(g.kubeconfig, {
      ...registration('provider-aws-all', 'OnDemand', [
        ['ControlPlane', 'aws'],
        ['Infrastructure', 'aws'],
      ]),
    });
    await createObject(g.kubeconfig, aws);
    await eventually(
      async () =>
        (await installationNames()).includes('provider-aws-seed-x') &&
        (await installationNames()).includes('provider-aws-all-seed-x'),
      30_000,
      'on-demand installation',
    );
  });

  it("binds to seed-z, of another provider type, which runs the shoot's provider", async () => {
    const moved = await bindingWithJq(g.kubeconfig, NS, 'placed', '.spec.seedName = "seed-z"');
    assert.equal(moved.code, 0, moved.message);
    assert.equal((await getRaw(g.kubeconfig, shootPath(NS, 'placed'))).spec.seedName, 'seed-z');
  });

  it('schedules a shoot onto seed-x: seed-y lacks its provider, seed-z is of another type', async () => {
    await createObject(g.kubeconfig, shootManifest(NS, 'scheduled'));
    const scheduled = await eventually(
      async () => (await getRaw(g.kubeconfig, shootPath(NS, 'scheduled'))).spec.seedName,
      30_000,
      'scheduled',
    );
    assert.equal(scheduled, 'seed-x');
  });

  it('lets a gardenlet reach its own installations and their registrations, nothing else', async () => {
    const kubeconfig = join(dir, 'seed-y.kubeconfig');
    await issueSeedKubeconfigThroughApi(g.kubeconfig, 'seed-y', kubeconfig);
    const own = JSON.parse(
      await kubectlOk(kubeconfig, ['get', 'ctrlinst', '--field-selector', 'spec.seedRef.name=seed-y', '-o', 'json']),
    );
    assert.deepEqual(own.items.map((i: Json) => i.metadata.name).sort(), [
      'backup-local-seed-y',
      'provider-local-seed-y',
    ]);
    await kubectlOk(kubeconfig, ['get', 'controllerregistration', 'provider-local']);
    await patchStatus(kubeconfig, 'controllerinstallation', 'provider-local-seed-y', report(false));
    for (const args of [
      ['get', 'ctrlinst'],
      ['get', 'ctrlinst', 'provider-local-seed-x'],
      ['get', 'ctrlinst', '--field-selector', 'spec.seedRef.name=seed-x'],
      ['get', 'controllerregistrations'],
      ['delete', 'ctrlinst', 'provider-local-seed-y'],
    ]) {
      const result = await kubectl(kubeconfig, args);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, /forbidden/i, args.join(' '));
    }
  });

  it('deletes the installations of a deleted registration', async () => {
    await kubectlOk(g.kubeconfig, ['delete', 'controllerregistration', 'backup-local']);
    await eventually(
      async () => !(await installationNames()).some((n: string) => n.startsWith('backup-local-')),
      30_000,
      'installations of backup-local gone',
    );
  });
});
