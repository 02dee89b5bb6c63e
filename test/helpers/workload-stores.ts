/**
 * Real stores (in-memory SQLite) of what kube-controller-manager's controllers read and write,
 * with the garbage collector's deletion semantics, for tests that run the whole controller
 * manager in this process: its client, what discovery would say, and a namespace to work in.
 */
import { AdmissionChain } from '../../src/apiserver/admission.js';
import type { InProcessClient } from '../../src/apiserver/in-process-client.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { builtinDefinitions } from '../../src/registry/builtin/index.js';
import type { CollectableResource } from '../../src/shoot/controller-manager/garbage-collector.js';
import type { Storage } from '../../src/storage/interface.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { storeClient } from './store-client.js';

/** `group/plural` of every resource the controller manager's controllers use. */
export const controllerManagerResources: ReadonlySet<string> = new Set([
  '/namespaces',
  '/serviceaccounts',
  '/configmaps',
  '/pods',
  '/events',
  '/nodes',
  '/persistentvolumeclaims',
  '/replicationcontrollers',
  'apps/replicasets',
  'apps/deployments',
  'apps/statefulsets',
  'apps/daemonsets',
  'apps/controllerrevisions',
  'coordination.k8s.io/leases',
]);

export interface WorkloadStores {
  storage: Storage;
  client: InProcessClient;
  discover: () => Promise<readonly CollectableResource[]>;
}

export async function workloadStores(namespace: string): Promise<WorkloadStores> {
  const storage = openSqliteStore({ path: ':memory:' });
  const definitions = builtinDefinitions.filter((def) => controllerManagerResources.has(`${def.group}/${def.plural}`));
  const client = storeClient(
    definitions.map((def) => new GenericStore(def, storage, new AdmissionChain([]), { garbageCollected: true })),
  );
  const discover = async () =>
    definitions
      .filter((def) => def.plural !== 'events')
      .map((def) => ({ ...def, verbs: ['list', 'watch', 'delete', 'get'] }));
  await client
    .resource({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false })
    .create('', { metadata: { name: namespace } });
  return { storage, client, discover };
}
