/**
 * Control plane migration on the garden side, end to end with the real kubectl and jq: the seed
 * document's trigger command verbatim, and every admission rule of `shoots/binding`
 * (docs/migration.md §The trigger) rejecting with a clear Status while nothing changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../helpers/api-client.js';
import {
  assertRejected,
  bindingWithJq,
  createObject,
  getRaw,
  type Json,
  kubectlOk,
  kubectlVerbose,
  patchStatus,
  seedManifest,
  shootManifest,
  shootPath,
  timestamp,
} from '../helpers/garden-e2e.js';
import { healthySeedConditions, startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { bash, kubectl } from '../helpers/kubectl.js';

const NS = 'garden-dev';

/** The seed document's trigger, character for character (the shell expands the variables). */
const TRIGGER = `kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME} | jq -c '.spec.seedName = "'\${DEST_SEED_NAME}'"' | kubectl replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME}/binding -f - | jq -r '.spec.seedName'`;

/** A status a gardenlet would have written after a successful reconcile on `seed`. */
function reconciledStatus(seed: string): object {
  const now = timestamp();
  return {
    seedName: seed,
    technicalID: 'shoot--dev--x',
    lastOperation: {
      type: 'Reconcile',
      state: 'Succeeded',
      progress: 100,
      description: 'Shoot cluster has been successfully reconciled.',
      lastUpdateTime: now,
    },
    conditions: [
      {
        type: 'APIServerAvailable',
        status: 'True',
        reason: 'HealthzRequestSucceeded',
        message: 'API server /healthz endpoint responded with success status code.',
        lastTransitionTime: now,
        lastUpdateTime: now,
      },
    ],
    constraints: [
      {
        type: 'HibernationPossible',
        status: 'True',
        reason: 'NoProblematicWebhooks',
        message: 'All webhooks are properly configured.',
        lastTransitionTime: now,
        lastUpdateTime: now,
      },
    ],
    gardener: { id: 'transplant', name: 'gardenlet', version: 'v1.0.0' },
  };
}

describe('garden e2e: shoots/binding with kubectl', () => {
  let g: TestGarden;
  let shootCount = 0;

  /** Creates a shoot on `seed` (none when undefined) and reports it reconciled there. */
  async function shootOn(
    seed: string | undefined,
    status: object | undefined = seed ? reconciledStatus(seed) : undefined,
  ) {
    shootCount += 1;
    const name = `bind-${shootCount}`;
    await createObject(g.kubeconfig, shootManifest(NS, name, seed ? { seedName: seed } : {}));
    if (status) await patchStatus(g.kubeconfig, 'shoot', name, status, NS);
    return name;
  }

  const getShoot = (name: string) => getRaw(g.kubeconfig, shootPath(NS, name));

  /** Runs `attempt` and asserts the shoot is byte-for-byte what it was before. */
  async function unchangedBy<T>(name: string, attempt: () => Promise<T>): Promise<T> {
    const before = await getShoot(name);
    const result = await attempt();
    const after = await getShoot(name);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'resourceVersion must not change');
    assert.equal(after.metadata.generation, before.metadata.generation);
    assert.deepEqual(after.spec, before.spec);
    assert.deepEqual(after.status, before.status);
    assert.deepEqual(after, before);
    return result;
  }

  before(async () => {
    // Admission judges heartbeats against an hour here, so that slow machines never see the
    // "healthy" seeds go stale; the stale seed's heartbeat is two hours old.
    g = await startTestGarden({ seedHeartbeatMaxAgeSeconds: 3600 });
    const seeds: [string, object[] | undefined, Parameters<typeof seedManifest>[1]][] = [
      ['seed-a', healthySeedConditions(), {}],
      ['seed-b', healthySeedConditions(), {}],
      ['seed-c', healthySeedConditions(), {}],
      ['seed-nobackup', healthySeedConditions(), { backup: false }],
      ['seed-stale', healthySeedConditions(new Date(Date.now() - 2 * 3600_000)), {}],
      [
        'seed-gardenlet-false',
        healthySeedConditions().map((c: Json) =>
          c.type === 'GardenletReady'
            ? { ...c, status: 'False', reason: 'GardenletNotReady', message: 'gardenlet is down' }
            : c,
        ),
        {},
      ],
      [
        'seed-extensions-false',
        healthySeedConditions().map((c: Json) =>
          c.type === 'ExtensionsReady'
            ? { ...c, status: 'False', reason: 'NotAllExtensionsInstalled', message: 'provider-local is missing' }
            : c,
        ),
        {},
      ],
      ['seed-deleting', healthySeedConditions(), { finalizers: ['core.gardener.cloud/gardener'] }],
      ['seed-unreported', undefined, {}],
    ];
    for (const [name, conditions, options] of seeds) {
      await createObject(g.kubeconfig, seedManifest(name, options));
      if (conditions) {
        // As the seed document's operators (and demo.sh) do it: a merge patch of the status.
        await kubectlOk(g.kubeconfig, [
          'patch',
          'seed',
          name,
          '--subresource',
          'status',
          '--type',
          'merge',
          '-p',
          JSON.stringify({ status: { conditions } }),
        ]);
      }
    }
    const deleting = await kubectlOk(g.kubeconfig, ['delete', 'seed', 'seed-deleting', '--wait=false']);
    assert.match(deleting, /seed.core.gardener.cloud "seed-deleting" deleted/);
  });

  after(async () => {
    await g?.cleanup();
  });

  it("runs the seed document's trigger command verbatim: prints the destination, keeps the status, bumps the generation", async () => {
    const name = await shootOn('seed-a');
    const before = await getShoot(name);
    assert.equal(before.spec.seedName, 'seed-a');
    assert.equal(before.status.seedName, 'seed-a');

    const result = await bash(TRIGGER, {
      NAMESPACE: NS,
      SHOOT_NAME: name,
      DEST_SEED_NAME: 'seed-b',
      KUBECONFIG: g.kubeconfig,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'seed-b\n');
    assert.equal(result.stderr, '');

    const after = await getShoot(name);
    assert.equal(after.spec.seedName, 'seed-b');
    assert.deepEqual(after.status, before.status, 'the binding keeps the status as it was');
    assert.equal(after.status.seedName, 'seed-a', 'status.seedName stays the source until the Migrate');
    assert.equal(after.metadata.generation, before.metadata.generation + 1);
    assert.ok(Number(after.metadata.resourceVersion) > Number(before.metadata.resourceVersion));
    assert.equal(after.metadata.uid, before.metadata.uid);
    const { seedName: _new, ...restAfter } = after.spec;
    const { seedName: _old, ...restBefore } = before.spec;
    assert.deepEqual(restAfter, restBefore, 'nothing but spec.seedName changed');
    const table = await kubectlOk(g.kubeconfig, [
      'get',
      'shoot',
      name,
      '-n',
      NS,
      '-o',
      'custom-columns=SPEC:.spec.seedName,STATUS:.status.seedName',
      '--no-headers',
    ]);
    assert.match(table, /^seed-b\s+seed-a\s*$/);
  });

  it('keeps the stored status even when the binding body carries another one', async () => {
    const name = await shootOn('seed-a');
    const before = await getShoot(name);
    const result = await bindingWithJq(
      g.kubeconfig,
      NS,
      name,
      '.spec.seedName = "seed-b" | .status.seedName = "seed-b" | .status.lastOperation.state = "Failed"',
    );
    assert.equal(result.code, 0, result.message);
    assert.equal(JSON.parse(result.stdout).spec.seedName, 'seed-b');
    const after = await getShoot(name);
    assert.equal(after.spec.seedName, 'seed-b');
    assert.deepEqual(after.status, before.status);
    assert.equal(after.metadata.generation, before.metadata.generation + 1);
  });

  it('schedules a shoot without a seed through the binding (no backup needed for a first placement)', async () => {
    const name = await shootOn(undefined);
    const before = await getShoot(name);
    assert.equal(before.spec.seedName, undefined);
    const result = await bash(TRIGGER, {
      NAMESPACE: NS,
      SHOOT_NAME: name,
      DEST_SEED_NAME: 'seed-nobackup',
      KUBECONFIG: g.kubeconfig,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'seed-nobackup\n');
    const after = await getShoot(name);
    assert.equal(after.spec.seedName, 'seed-nobackup');
    assert.equal(after.metadata.generation, before.metadata.generation + 1);
  });

  it('rejects a destination seed without spec.backup', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-nobackup"'),
    );
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: 'cannot change seed name because backup is not configured for seed "seed-nobackup"',
    });
  });

  it('rejects moving away from a source seed without spec.backup', async () => {
    const name = await shootOn('seed-nobackup');
    const result = await unchangedBy(name, () => bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-b"'));
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: 'cannot change seed name because backup is not configured for old seed "seed-nobackup"',
    });
  });

  it('rejects a destination seed marked for deletion', async () => {
    const seed = await getRaw(g.kubeconfig, '/apis/core.gardener.cloud/v1beta1/seeds/seed-deleting');
    assert.ok(seed.metadata.deletionTimestamp, 'kubectl delete --wait=false marked the seed');
    assert.deepEqual(seed.metadata.finalizers, ['core.gardener.cloud/gardener']);
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-deleting"'),
    );
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: `cannot schedule shoot '${name}' on seed 'seed-deleting' that is already marked for deletion`,
    });
  });

  it("rejects an unhealthy destination: the gardenlet's heartbeat is stale", async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-stale"'),
    );
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: `cannot schedule shoot '${name}' on seed 'seed-stale' because the seed is not ready: the gardenlet's last heartbeat`,
    });
    assert.match(result.status!.message, /was 2h\d+m\d+s ago, more than the allowed 1h0m0s/);
  });

  it('rejects an unhealthy destination: GardenletReady is False', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-gardenlet-false"'),
    );
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: 'because the seed is not ready: condition GardenletReady is False',
    });
    assert.match(result.status!.message, /GardenletNotReady: gardenlet is down/);
  });

  it('rejects an unhealthy destination: ExtensionsReady is False', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-extensions-false"'),
    );
    assertRejected(result, { code: 403, reason: 'Forbidden', message: 'condition ExtensionsReady is False' });
    assert.match(result.status!.message, /NotAllExtensionsInstalled: provider-local is missing/);
  });

  it('rejects a destination whose gardenlet never reported', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-unreported"'),
    );
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: 'condition GardenletReady has not been reported yet',
    });
  });

  it('rejects the same seed', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () => bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-a"'));
    assertRejected(result, {
      code: 422,
      reason: 'Invalid',
      message: 'update of binding rejected, shoot is already assigned to the same seed',
      field: 'spec.seedName',
    });
  });

  it('rejects an unknown seed', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-nowhere"'),
    );
    assertRejected(result, {
      code: 422,
      reason: 'Invalid',
      message: 'seed "seed-nowhere" does not exist',
      field: 'spec.seedName',
    });
  });

  it('rejects a null seed', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () => bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = null'));
    assertRejected(result, {
      code: 422,
      reason: 'Invalid',
      message: "spec.seedName is already set to 'seed-a' and cannot be changed to 'nil'",
      field: 'spec.seedName',
    });
  });

  it('rejects a change of any other field through the binding', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(
        g.kubeconfig,
        NS,
        name,
        '.spec.seedName = "seed-b" | .spec.purpose = "production" | .spec.kubernetes.version = "1.32.0"',
      ),
    );
    assertRejected(result, {
      code: 422,
      reason: 'Invalid',
      message:
        'only spec.seedName can be changed using the binding subresource when the shoot is being rescheduled to a new seed (also changed: spec.kubernetes, spec.purpose)',
      field: 'spec',
    });
  });

  it('rejects a spec.seedName change through a plain update (kubectl replace) with a hint to use the binding', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, async () => {
      const shoot = await getShoot(name);
      shoot.spec.seedName = 'seed-b';
      return kubectlVerbose(g.kubeconfig, ['replace', '-f', '-'], JSON.stringify(shoot));
    });
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message:
        "spec.seedName 'seed-a' cannot be changed to 'seed-b' by patching the shoot, please use the shoots/binding subresource",
    });
  });

  it('rejects a spec.seedName change through kubectl patch --type merge', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      kubectlVerbose(g.kubeconfig, [
        'patch',
        'shoot',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        '{"spec":{"seedName":"seed-b"}}',
      ]),
    );
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message:
        "spec.seedName 'seed-a' cannot be changed to 'seed-b' by patching the shoot, please use the shoots/binding subresource",
    });
  });

  it('rejects a project member using the binding (403, RBAC), although the member may update the shoot', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bindingWithJq(g.memberKubeconfig, NS, name, '.spec.seedName = "seed-b"', g.memberKubeconfig),
    );
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: `shoots.core.gardener.cloud "${name}" is forbidden: User "dev-member" cannot update resource "shoots/binding" in API group "core.gardener.cloud" in the namespace "garden-dev"`,
    });
    // The same pipeline as the member, verbatim, fails as a whole and prints nothing.
    const verbatim = await unchangedBy(name, () =>
      bash(TRIGGER, { NAMESPACE: NS, SHOOT_NAME: name, DEST_SEED_NAME: 'seed-b', KUBECONFIG: g.memberKubeconfig }),
    );
    assert.notEqual(verbatim.code, 0);
    assert.equal(verbatim.stdout.trim(), '');
    assert.match(verbatim.stderr, /Error from server \(Forbidden\).*cannot update resource "shoots\/binding"/);
    // The member is a project member: a normal update of the same shoot is allowed.
    await kubectlOk(g.memberKubeconfig, [
      'patch',
      'shoot',
      name,
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"spec":{"purpose":"evaluation"}}',
    ]);
    assert.equal((await getShoot(name)).spec.purpose, 'evaluation');
  });

  it('serves PATCH on shoots/binding with the RBAC verb patch (over HTTPS: kubectl patch --subresource knows only status and scale)', async () => {
    const name = await shootOn('seed-a');
    const path = `${shootPath(NS, name)}/binding`;
    const patch = { spec: { seedName: 'seed-b' } };
    const headers = { 'Content-Type': 'application/merge-patch+json' };
    const denied = await unchangedBy(name, () => rawRequest(g.memberKubeconfig, 'PATCH', path, patch, headers));
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.json.reason, 'Forbidden');
    assert.match(denied.json.message, /User "dev-member" cannot patch resource "shoots\/binding"/);

    const unhealthy = await unchangedBy(name, () =>
      rawRequest(g.kubeconfig, 'PATCH', path, { spec: { seedName: 'seed-stale' } }, headers),
    );
    assert.equal(unhealthy.status, 403, unhealthy.text);
    assert.match(unhealthy.json.message, /the seed is not ready/);

    const before = await getShoot(name);
    const allowed = await rawRequest(g.kubeconfig, 'PATCH', path, patch, headers);
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.json.spec.seedName, 'seed-b');
    const after = await getShoot(name);
    assert.equal(after.spec.seedName, 'seed-b');
    assert.deepEqual(after.status, before.status);
    assert.equal(after.metadata.generation, before.metadata.generation + 1);

    const missing = await rawRequest(g.kubeconfig, 'PUT', `${shootPath(NS, 'no-such-shoot')}/binding`, {
      ...shootManifest(NS, 'no-such-shoot', { seedName: 'seed-a' }),
    });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.json.message, 'shoots.core.gardener.cloud "no-such-shoot" not found');
  });

  describe('while a Migrate is in progress', () => {
    let name: string;

    before(async () => {
      // Bound to seed-b, then the source seed-a started the Migrate.
      name = await shootOn('seed-a');
      const bound = await bash(TRIGGER, {
        NAMESPACE: NS,
        SHOOT_NAME: name,
        DEST_SEED_NAME: 'seed-b',
        KUBECONFIG: g.kubeconfig,
      });
      assert.equal(bound.stdout, 'seed-b\n', bound.stderr);
      await patchStatus(
        g.kubeconfig,
        'shoot',
        name,
        {
          lastOperation: {
            type: 'Migrate',
            state: 'Processing',
            progress: 40,
            description: 'Waiting until etcd backups are copied',
            lastUpdateTime: timestamp(),
          },
        },
        NS,
      );
      const shoot = await getShoot(name);
      assert.equal(shoot.status.lastOperation.type, 'Migrate');
      assert.equal(shoot.status.seedName, 'seed-a');
    });

    it('rejects another binding', async () => {
      const result = await unchangedBy(name, () => bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-c"'));
      assertRejected(result, {
        code: 403,
        reason: 'Forbidden',
        message: 'cannot change shoot spec during Migrate operation that is in state Processing',
      });
    });

    it('rejects a spec change through kubectl patch', async () => {
      const result = await unchangedBy(name, () =>
        kubectlVerbose(g.kubeconfig, [
          'patch',
          'shoot',
          name,
          '-n',
          NS,
          '--type',
          'merge',
          '-p',
          '{"spec":{"purpose":"production"}}',
        ]),
      );
      assertRejected(result, {
        code: 403,
        reason: 'Forbidden',
        message: 'cannot change shoot spec during Migrate operation that is in state Processing',
      });
    });

    it('rejects the deletion (kubectl delete)', async () => {
      const result = await unchangedBy(name, () =>
        kubectlVerbose(g.kubeconfig, ['delete', 'shoot', name, '-n', NS, '--wait=false']),
      );
      assertRejected(result, {
        code: 403,
        reason: 'Forbidden',
        message: 'cannot mark shoot for deletion during Migrate operation that is in state Processing',
      });
      const shoot = await getShoot(name);
      assert.equal(shoot.metadata.deletionTimestamp, undefined);
    });
  });

  it('rejects a binding while a Restore has not yet succeeded', async () => {
    const name = await shootOn('seed-a', {
      seedName: null,
      lastOperation: {
        type: 'Restore',
        state: 'Processing',
        progress: 20,
        description: 'Waiting until etcd backups are copied',
        lastUpdateTime: timestamp(),
      },
    });
    const shoot = await getShoot(name);
    assert.equal(shoot.status.lastOperation.type, 'Restore');
    const result = await unchangedBy(name, () => bindingWithJq(g.kubeconfig, NS, name, '.spec.seedName = "seed-b"'));
    assertRejected(result, {
      code: 403,
      reason: 'Forbidden',
      message: 'cannot change shoot spec during Restore operation that is in state Processing',
    });
  });

  it('lets kubectl show the binding rejection without -v (what an operator sees)', async () => {
    const name = await shootOn('seed-a');
    const result = await unchangedBy(name, () =>
      bash(TRIGGER, { NAMESPACE: NS, SHOOT_NAME: name, DEST_SEED_NAME: 'seed-nobackup', KUBECONFIG: g.kubeconfig }),
    );
    assert.notEqual(result.code, 0);
    assert.equal(result.stdout.trim(), '');
    assert.match(result.stderr, /backup is not configured for seed "seed-nobackup"/);
    const other = await kubectl(g.kubeconfig, ['get', 'shoot', name, '-n', NS, '-o', 'jsonpath={.spec.seedName}']);
    assert.equal(other.stdout, 'seed-a');
  });
});
