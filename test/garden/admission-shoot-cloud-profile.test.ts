/**
 * The CloudProfile part of the ShootValidator on its own, with the `local` profile and bindings in
 * a lookup: what it refuses (one 422 with a cause per field), what it defaults, and what it leaves
 * alone on update.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CloudProfile, ProviderBinding } from '../../src/api/core-gardener/index.js';
import { isStatusError, type StatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { AdmissionAttributes, Operation } from '../../src/apiserver/types.js';
import { ShootCloudProfileValidator } from '../../src/garden/admission/shoot-cloud-profile.js';
import { localCloudProfile, localSecretBinding } from '../../src/garden/local-setup.js';
import type { Json } from '../helpers/api-client.js';

const NOW = new Date('2026-12-01T12:00:00Z');

/** The local profile with an expired 1.30.0 and a deprecated 1.31.0 besides. */
function profile(): CloudProfile {
  const p = localCloudProfile();
  p.spec.kubernetes.versions.push(
    { version: '1.31.0', classification: 'deprecated', expirationDate: '2027-01-01T00:00:00Z' },
    { version: '1.29.9', classification: 'deprecated', expirationDate: '2026-01-01T00:00:00Z' },
  );
  p.spec.machineTypes.push({ name: 'retired', cpu: '1', gpu: '0', memory: '1Gi', usable: false });
  return p;
}

const credentialsBinding: ProviderBinding = {
  apiVersion: 'security.gardener.cloud/v1alpha1',
  kind: 'CredentialsBinding',
  metadata: { name: 'cb', namespace: 'garden-dev' },
  provider: { type: 'local' },
};
const awsBinding: ProviderBinding = {
  apiVersion: 'core.gardener.cloud/v1beta1',
  kind: 'SecretBinding',
  metadata: { name: 'aws', namespace: 'garden-dev' },
  provider: { type: 'aws' },
};

const plugin = new ShootCloudProfileValidator(
  {
    getCloudProfile: async (name) => (name === 'local' ? profile() : null),
    getSecretBinding: async (namespace, name) => {
      if (namespace !== 'garden-dev') return null;
      if (name === 'aws') return awsBinding;
      return name === 'local' ? localSecretBinding(namespace).binding : null;
    },
    getCredentialsBinding: async (namespace, name) =>
      namespace === 'garden-dev' && name === 'cb' ? credentialsBinding : null,
  },
  () => NOW,
);

function shoot(spec: Record<string, unknown> = {}, workers?: unknown[]): KubeObject {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: 'my-shoot', namespace: 'garden-dev' },
    spec: {
      cloudProfileName: 'local',
      region: 'local',
      secretBindingName: 'local',
      provider: {
        type: 'local',
        workers: workers ?? [{ name: 'local', machine: { type: 'local' }, minimum: 1, maximum: 1 }],
      },
      kubernetes: { version: '1.31.1' },
      ...spec,
    },
  };
}

async function admit(object: KubeObject, oldObject?: KubeObject): Promise<KubeObject> {
  const operation: Operation = oldObject ? 'UPDATE' : 'CREATE';
  const attrs: AdmissionAttributes = {
    operation,
    object,
    ...(oldObject ? { oldObject } : {}),
    kind: { group: 'core.gardener.cloud', version: 'v1beta1', kind: 'Shoot' },
    resource: 'shoots',
    subresource: '',
    namespace: 'garden-dev',
    name: 'my-shoot',
    user: { name: 'operator', groups: [] },
    dryRun: false,
  };
  await plugin.admit(attrs);
  await plugin.validate(attrs);
  return object;
}

/** The causes of the 422 the admission answers, as `field: message`. */
async function refused(object: KubeObject, oldObject?: KubeObject): Promise<string[]> {
  const err = await admit(object, oldObject).then(
    () => assert.fail('admitted'),
    (e: unknown) => e,
  );
  assert.ok(isStatusError(err), String(err));
  const status = (err as StatusError).status;
  assert.equal(status.code, 422);
  assert.equal(status.reason, 'Invalid');
  return (status.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
}

const spec = (obj: KubeObject): Json => obj.spec;

describe('ShootCloudProfileValidator', () => {
  it('admits the example shoot and defaults its machine image to the profile’s first', async () => {
    const admitted = await admit(shoot());
    assert.equal(spec(admitted).kubernetes.version, '1.31.1');
    assert.deepEqual(spec(admitted).provider.workers[0].machine.image, { name: 'local', version: '1.0.0' });
  });

  it('defaults a minor to its latest non-preview, non-expired patch, and an empty version to the latest supported', async () => {
    assert.equal(spec(await admit(shoot({ kubernetes: { version: '1.31' } }))).kubernetes.version, '1.31.1');
    assert.equal(spec(await admit(shoot({ kubernetes: { version: '1.29' } }))).kubernetes.version, '1.29.0');
    // 1.34–1.36 are preview in the local profile: `1` and an empty version stop at 1.33.
    assert.equal(spec(await admit(shoot({ kubernetes: { version: '1' } }))).kubernetes.version, '1.33.0');
    assert.equal(spec(await admit(shoot({ kubernetes: {} }))).kubernetes.version, '1.33.0');
    assert.deepEqual(await refused(shoot({ kubernetes: { version: '1.36' } })), [
      `spec.kubernetes.version: Invalid value: "1.36": couldn't find a suitable version for 1.36. Suitable versions have a non-expired expiration date and are no 'preview' versions. 'Preview'-classified versions have to be selected explicitly`,
    ]);
    // Named exactly, a preview version is fine.
    assert.equal(spec(await admit(shoot({ kubernetes: { version: '1.36.0' } }))).kubernetes.version, '1.36.0');
  });

  it('refuses an unknown profile, region, version, expired version, machine type and image, naming each field', async () => {
    assert.deepEqual(await refused(shoot({ cloudProfileName: 'nope' })), [
      'spec.cloudProfileName: Invalid value: "nope": cloud profile "nope" does not exist',
    ]);
    assert.deepEqual(await refused(shoot({ cloudProfileName: undefined })), [
      'spec.cloudProfileName: Required value: must name a CloudProfile',
    ]);
    assert.deepEqual(
      await refused(
        shoot({ cloudProfile: { kind: 'NamespacedCloudProfile', name: 'x' }, cloudProfileName: undefined }),
      ),
      ['spec.cloudProfile.kind: Unsupported value: "NamespacedCloudProfile": supported values: "CloudProfile"'],
    );
    const causes = await refused(
      shoot({ region: 'mars', kubernetes: { version: '1.29.9' } }, [
        { name: 'a', machine: { type: 'huge' } },
        { name: 'b', machine: { type: 'retired', image: { name: 'gardenlinux' } } },
        { name: 'c', machine: { type: 'local', image: { name: 'local', version: '9.9.9' } }, zones: ['1'] },
      ]),
    );
    assert.deepEqual(
      causes.map((c) => c.slice(0, c.indexOf(':'))),
      [
        'spec.region',
        'spec.kubernetes.version',
        'spec.provider.workers[0].machine.type',
        'spec.provider.workers[1].machine.type',
        'spec.provider.workers[1].machine.image.name',
        'spec.provider.workers[2].machine.image.version',
        'spec.provider.workers[2].zones[0]',
      ],
    );
    assert.match(causes[1]!, /Unsupported value: "1\.29\.9": supported values: .*"1\.31\.0"/);
    assert.ok(!causes[1]!.includes('"1.29.9",'), 'the expired version is not offered');
    assert.deepEqual(await refused(shoot({ kubernetes: { version: '1.26.0' } })), [
      `spec.kubernetes.version: Unsupported value: "1.26.0": supported values: ${profile()
        .spec.kubernetes.versions.filter((v) => v.version !== '1.29.9')
        .map((v) => `"${v.version}"`)
        .join(', ')}`,
    ]);
  });

  it('refuses a provider type other than the profile’s', async () => {
    assert.deepEqual(await refused(shoot({ provider: { type: 'aws' } })), [
      'spec.provider.type: Invalid value: "aws": provider type in shoot must equal provider type of referenced CloudProfile: "local"',
      `spec.secretBindingName: Invalid value: "local": the SecretBinding's provider type "local" does not match the shoot's provider type "aws"`,
    ]);
  });

  it('wants a binding of the shoot’s provider for a shoot with workers, none for a workerless one', async () => {
    assert.deepEqual(await refused(shoot({ secretBindingName: undefined })), [
      'spec.secretBindingName: Required value: a shoot with workers needs secretBindingName or credentialsBindingName',
    ]);
    assert.deepEqual(await refused(shoot({ secretBindingName: 'missing' })), [
      'spec.secretBindingName: Invalid value: "missing": SecretBinding "missing" does not exist in namespace "garden-dev"',
    ]);
    assert.deepEqual(await refused(shoot({ secretBindingName: 'aws' })), [
      `spec.secretBindingName: Invalid value: "aws": the SecretBinding's provider type "aws" does not match the shoot's provider type "local"`,
    ]);
    assert.deepEqual(await refused(shoot({ secretBindingName: undefined, credentialsBindingName: 'nope' })), [
      'spec.credentialsBindingName: Invalid value: "nope": CredentialsBinding "nope" does not exist in namespace "garden-dev"',
    ]);
    assert.deepEqual(await refused(shoot({ credentialsBindingName: 'cb' })), [
      'spec.credentialsBindingName: Forbidden: is incompatible with secretBindingName',
    ]);
    await admit(shoot({ secretBindingName: undefined, credentialsBindingName: 'cb' }));
    await admit(shoot({ secretBindingName: undefined, provider: { type: 'local' } }));
  });

  it('on update: judges only what changed, never down, never past the next minor', async () => {
    const old = await admit(shoot({ kubernetes: { version: '1.29.0' } }));
    // Labels change, the spec does not: not judged again (even though the binding is gone now).
    const relabelled = structuredClone(old);
    relabelled.metadata.labels = { a: 'b' };
    spec(old).secretBindingName = 'gone';
    spec(relabelled).secretBindingName = 'gone';
    await admit(relabelled, old);

    const upgrade = (version: string) => {
      const next = structuredClone(old);
      spec(next).kubernetes.version = version;
      return next;
    };
    await admit(upgrade('1.30.0'), old);
    assert.deepEqual(await refused(upgrade('1.31.1'), old), [
      'spec.kubernetes.version: Forbidden: kubernetes version upgrade cannot skip a minor version',
    ]);
    assert.deepEqual(await refused(upgrade('1.28.2'), old), [
      'spec.kubernetes.version: Forbidden: kubernetes version downgrade is not supported',
    ]);
    // A pool may lag behind the control plane, never lead it.
    const pool = structuredClone(old);
    spec(pool).provider.workers[0].kubernetes = { version: '1.30.0' };
    assert.deepEqual(await refused(pool, old), [
      'spec.provider.workers[0].kubernetes.version: Forbidden: worker group kubernetes version must not be higher than control plane version',
    ]);
  });

  it('lets a shoot stored without binding (before bindings existed) change, but not drop its binding', async () => {
    const old = await admit(shoot({ secretBindingName: undefined, provider: { type: 'local' } }));
    spec(old).provider.workers = [
      { name: 'local', machine: { type: 'local', image: { name: 'local', version: '1.0.0' } } },
    ];
    const next = structuredClone(old);
    spec(next).purpose = 'production';
    await admit(next, old);
    const bound = await admit(shoot());
    const dropped = structuredClone(bound);
    delete spec(dropped).secretBindingName;
    assert.deepEqual(await refused(dropped, bound), [
      'spec.secretBindingName: Required value: a shoot with workers needs secretBindingName or credentialsBindingName',
    ]);
  });

  it('keeps a version that expired since the shoot chose it', async () => {
    const old = shoot({ kubernetes: { version: '1.29.9' } });
    spec(old).provider.workers[0].machine.image = { name: 'local', version: '1.0.0' };
    const next = structuredClone(old);
    spec(next).purpose = 'production';
    await admit(next, old);
  });
});
