/**
 * Every object a shoot's API serves, read through discovery as `kubectl get all`-style tools do:
 * each listable resource of every served group version (custom resources included), listed across
 * namespaces. Two snapshots taken around a migration say whether the cluster is exactly as it was.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Json } from './api-client.js';
import { eventually } from './processes.js';
import type { ShootClient } from './shoot-client.js';

/** Objects by `<group>/<resource>/<namespace>/<name>`. */
export type ClusterSnapshot = Map<string, Json>;

interface DiscoveredResource {
  path: string;
  group: string;
  resource: string;
}

async function getJson(client: ShootClient, path: string): Promise<Json> {
  const res = await client.request('GET', path);
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The preferred version of every group, and its resources that can be listed (no subresources). */
async function listableResources(client: ShootClient): Promise<DiscoveredResource[]> {
  const versions: { group: string; path: string }[] = [{ group: '', path: '/api/v1' }];
  for (const group of (await getJson(client, '/apis')).groups ?? []) {
    versions.push({ group: group.name, path: `/apis/${group.preferredVersion.groupVersion}` });
  }
  const resources: DiscoveredResource[] = [];
  for (const { group, path } of versions) {
    for (const r of (await getJson(client, path)).resources ?? []) {
      if (r.name.includes('/') || !r.verbs?.includes('list')) continue;
      resources.push({ path: `${path}/${r.name}`, group, resource: r.name });
    }
  }
  return resources;
}

/** Every object of the shoot, except those `skip` names (e.g. leases renewed every few seconds). */
export async function clusterSnapshot(
  client: ShootClient,
  skip: (group: string, resource: string) => boolean = () => false,
): Promise<ClusterSnapshot> {
  const snapshot: ClusterSnapshot = new Map();
  const seen = new Set<string>();
  for (const { path, group, resource } of await listableResources(client)) {
    // events.k8s.io serves the core Events again; count each object once.
    const kindKey = resource === 'events' ? 'events' : `${group}/${resource}`;
    if (skip(group, resource) || seen.has(kindKey)) continue;
    seen.add(kindKey);
    for (const item of (await getJson(client, path)).items ?? []) {
      snapshot.set(`${group}/${resource}/${item.metadata.namespace ?? ''}/${item.metadata.name}`, item);
    }
  }
  return snapshot;
}

export interface SnapshotDifference {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What differs between two snapshots, object by object (every field, metadata included). */
export function differences(before: ClusterSnapshot, after: ClusterSnapshot): SnapshotDifference {
  const difference: SnapshotDifference = { added: [], removed: [], changed: [] };
  for (const [key, object] of before) {
    const now = after.get(key);
    if (now === undefined) difference.removed.push(key);
    else if (!isDeepStrictEqual(object, now)) difference.changed.push(key);
  }
  for (const key of after.keys()) if (!before.has(key)) difference.added.push(key);
  return difference;
}

/** Renewed or heartbeated by themselves (Leases, Nodes, Events): compared otherwise or not at all. */
export const changesByItself = (group: string, resource: string): boolean =>
  (group === 'coordination.k8s.io' && resource === 'leases') ||
  (group === '' && resource === 'nodes') ||
  resource === 'events';

/** Two snapshots 3 s apart that agree (`changesByItself` left out): the controllers have nothing left to do. */
export async function restingCluster(client: ShootClient): Promise<ClusterSnapshot> {
  return eventually(
    async () => {
      const first = await clusterSnapshot(client, changesByItself);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const second = await clusterSnapshot(client, changesByItself);
      const d = differences(first, second);
      return d.added.length + d.removed.length + d.changed.length === 0 ? second : undefined;
    },
    90_000,
    'the cluster at rest',
  );
}
