/**
 * The controllerregistration seed reconciler reads shoots and BackupEntries from an informer
 * cache (src/garden/controllers/controller-installation-controller.ts): it waits for the cache's
 * first list before it changes anything (an empty cache would say no shoot needs an OnDemand
 * extension, and its installations would be deleted), then wants what the cached shoots need, and
 * lists no shoot through the API.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { BackupEntry, Shoot } from '../../src/api/core-gardener/index.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import type { ResourceDefinition } from '../../src/apiserver/types.js';
import type { Lister } from '../../src/controller/shared-informers.js';
import { ControllerInstallationReconciler } from '../../src/garden/controllers/controller-installation-controller.js';
import { backupBucketDefinition } from '../../src/registry/core-gardener/backup-bucket.js';
import { controllerInstallationDefinition } from '../../src/registry/core-gardener/controller-installation.js';
import { controllerRegistrationDefinition } from '../../src/registry/core-gardener/controller-registration.js';
import { seedDefinition } from '../../src/registry/core-gardener/seed.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { seedManifest, shootManifest } from '../helpers/garden-e2e.js';
import { testContext as ctx, storeClient } from '../helpers/store-client.js';

const API = 'core.gardener.cloud/v1beta1';

function stores() {
  const storage = openSqliteStore({ path: ':memory:' });
  const store = (def: ResourceDefinition) => new GenericStore(def, storage, new AdmissionChain([]));
  const [seeds, registrations, installations, buckets] = [
    seedDefinition,
    controllerRegistrationDefinition,
    controllerInstallationDefinition,
    backupBucketDefinition,
  ].map(store) as [GenericStore, GenericStore, GenericStore, GenericStore];
  return { storage, seeds, registrations, installations, buckets };
}

/** Creates the cluster-scoped core.gardener.cloud object `kind`/`name` with `spec` in `store`. */
const create = (store: GenericStore, kind: string, name: string, spec: object) =>
  store.create('', { apiVersion: API, kind, metadata: { name }, spec } as never, ctx);

/**
 * A cache over `shoots` (read at each call): empty, as an informer's is, until `release` marks
 * its first list done.
 */
function cache(shoots: Shoot[]) {
  let listed = false;
  let release!: () => void;
  const synced = new Promise<void>((resolve) => {
    release = () => {
      listed = true;
      resolve();
    };
  });
  const lister = <T>(items: T[]): Lister<T & KubeObject> => ({
    list: () => (listed ? items : []) as (T & KubeObject)[],
    get: () => undefined,
  });
  return {
    release,
    cache: { shoots: lister(shoots), backupEntries: lister<BackupEntry>([]), synced: () => synced },
  };
}

describe('controllerregistration seed reconciler', () => {
  it('waits for the cache, then installs what the cached shoots on the seed need', async () => {
    const s = stores();
    try {
      const client = storeClient([s.seeds, s.registrations, s.installations, s.buckets], ctx);
      await s.seeds.create('', seedManifest('seed-a') as never, ctx);
      await create(s.registrations, 'ControllerRegistration', 'shoots-only', {
        resources: [{ kind: 'Extension', type: 'shoots-only' }],
        deployment: { policy: 'AlwaysExceptNoShoots' },
      });
      // Installed earlier, for a shoot on seed-a: an empty cache would find it unwanted.
      await create(s.installations, 'ControllerInstallation', 'shoots-only-seed-a', {
        registrationRef: { apiVersion: API, kind: 'ControllerRegistration', name: 'shoots-only' },
        seedRef: { apiVersion: API, kind: 'Seed', name: 'seed-a' },
      });
      const shoots = [shootManifest('garden-dev', 'one', { seedName: 'seed-a' }) as unknown as Shoot];
      const { cache: placement, release } = cache(shoots);
      const reconciler = new ControllerInstallationReconciler({
        client,
        cache: placement,
        facts: { internalDomainProvider: async () => undefined },
        logger: pino({ level: 'silent' }),
      });

      const reconciled = reconciler.reconcile({ namespace: '', name: 'seed-a' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const names = async () => (await s.installations.list('', {})).items.map((i) => i.metadata.name);
      assert.deepEqual(await names(), ['shoots-only-seed-a'], 'nothing changed before the cache synced');

      release();
      await reconciled;
      assert.deepEqual(await names(), ['shoots-only-seed-a'], 'kept: the cached shoot on seed-a needs it');

      shoots.pop();
      await reconciler.reconcile({ namespace: '', name: 'seed-a' });
      assert.deepEqual(await names(), [], 'deleted once the cache holds no shoot on seed-a');
    } finally {
      await s.storage.close();
    }
  });
});
