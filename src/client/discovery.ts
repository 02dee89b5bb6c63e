/**
 * What a server serves, read from its discovery documents (`/api/v1`, `/apis`, each group's
 * preferred version): the resources a client such as the garbage collector must watch because it
 * cannot know them in advance (built-in kinds, later custom resources).
 */
import { isRecord } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';
import { resourceRef } from '../api/resource-ref.js';
import type { RestClient } from './rest-client.js';

/** One resource as discovery lists it. */
export interface DiscoveredResource extends ResourceRef {
  readonly verbs: readonly string[];
}

interface ApiResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
  verbs?: unknown;
}

/** Every resource (not subresource) the server behind `client` serves, in each group's preferred version. */
export async function discoverResources(client: RestClient): Promise<DiscoveredResource[]> {
  const groupVersions: { group: string; version: string; path: string }[] = [
    { group: '', version: 'v1', path: '/api/v1' },
  ];
  const groups = await client.request<{ groups?: unknown[] }>('GET', '/apis');
  for (const group of groups.groups ?? []) {
    if (!isRecord(group) || typeof group.name !== 'string' || !isRecord(group.preferredVersion)) continue;
    const version = group.preferredVersion.version;
    if (typeof version !== 'string') continue;
    groupVersions.push({ group: group.name, version, path: `/apis/${group.name}/${version}` });
  }
  const lists = await Promise.all(
    groupVersions.map(async (gv) => ({
      gv,
      list: await client.request<{ resources?: ApiResource[] }>('GET', gv.path),
    })),
  );
  return lists.flatMap(({ gv, list }) =>
    (list.resources ?? []).flatMap((r) => {
      if (typeof r.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string') return [];
      const verbs = Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : [];
      const ref = resourceRef({
        group: gv.group,
        version: gv.version,
        kind: r.kind,
        plural: r.name,
        namespaced: r.namespaced === true,
      });
      return [{ ...ref, verbs }];
    }),
  );
}
