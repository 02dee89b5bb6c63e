/**
 * Legacy (unaggregated) discovery: /api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>.
 * kubectl asks for aggregated discovery first and falls back to these documents when the
 * server answers with plain JSON.
 */
import type { DiscoverySubresource, ResourceDefinition } from './types.js';

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface GroupVersion {
  group: string;
  version: string;
}

export class Discovery {
  readonly #defs: readonly ResourceDefinition[];
  readonly #extra: readonly ExtraResource[];

  constructor(defs: readonly ResourceDefinition[], extra: readonly ExtraResource[] = []) {
    this.#defs = defs;
    this.#extra = extra;
  }

  groupVersions(): GroupVersion[] {
    const seen = new Map<string, GroupVersion>();
    for (const d of [...this.#defs, ...this.#extra])
      seen.set(`${d.group}/${d.version}`, { group: d.group, version: d.version });
    return [...seen.values()];
  }

  coreVersions(): object {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
    };
  }

  groupList(): object {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: this.#groups() };
  }

  group(name: string): object | undefined {
    return this.#groups().find((g) => g.name === name);
  }

  resourceList(group: string, version: string): object | undefined {
    const defs = this.#defs.filter((d) => d.group === group && d.version === version);
    const extra = this.#extra.filter((d) => d.group === group && d.version === version);
    if (defs.length === 0 && extra.length === 0) return undefined;
    const resources: object[] = [];
    for (const d of defs) {
      resources.push({
        name: d.plural,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: [...(d.verbs ?? allVerbs)],
        ...(d.shortNames?.length ? { shortNames: d.shortNames } : {}),
        ...(d.categories?.length ? { categories: d.categories } : {}),
      });
      for (const sub of subresourcesOf(d)) {
        resources.push({
          name: `${d.plural}/${sub.name}`,
          singularName: '',
          namespaced: d.namespaced,
          ...(sub.kind ? { group: sub.kind.group, version: sub.kind.version, kind: sub.kind.kind } : { kind: d.kind }),
          verbs: [...sub.verbs],
        });
      }
    }
    for (const e of extra) {
      resources.push({
        name: e.name,
        singularName: e.singular ?? '',
        namespaced: e.namespaced,
        kind: e.kind,
        verbs: [...e.verbs],
      });
    }
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources,
    };
  }

  #groups(): { name: string; versions: object[]; preferredVersion: object }[] {
    const byGroup = new Map<string, string[]>();
    for (const gv of this.groupVersions()) {
      if (gv.group === '') continue;
      const versions = byGroup.get(gv.group) ?? [];
      if (!versions.includes(gv.version)) versions.push(gv.version);
      byGroup.set(gv.group, versions);
    }
    return [...byGroup.entries()].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    }));
  }
}

/** What discovery lists as a resource's subresources: its own list, or `status` and the strategy-backed ones. */
function subresourcesOf(d: ResourceDefinition): readonly DiscoverySubresource[] {
  if (d.discoverySubresources) return d.discoverySubresources;
  const own = (d.subresources ?? []).filter((sub) => sub.name !== 'status');
  return [...(d.hasStatus !== false ? [{ name: 'status', verbs: ['get', 'patch', 'update'] }] : []), ...own];
}

/** A resource served by a custom handler rather than a store (e.g. selfsubjectaccessreviews). */
export interface ExtraResource {
  group: string;
  version: string;
  name: string;
  singular?: string;
  kind: string;
  namespaced: boolean;
  verbs: readonly string[];
}
