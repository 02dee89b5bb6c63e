/**
 * The CRD controller of a shoot's kube-apiserver (Kubernetes' apiextensions naming, establishing
 * and finalizer controllers and its crdHandler in one reconciler, since here they share one
 * process): for each CustomResourceDefinition it
 * - accepts the names unless another CRD of the group claims them (`NamesAccepted`,
 *   `status.acceptedNames`),
 * - serves the API of its served versions (src/registry/apiextensions/custom-resource.ts) and
 *   then marks it `Established`, which `kubectl wait --for condition=established` waits for,
 * - once the CRD is deleted, deletes its custom resources, then removes the
 *   `customresourcecleanup.apiextensions.k8s.io` finalizer; the CRD goes, and with it the API.
 * Everything it serves is derived from the stored CRDs, so a restarted or migrated server serves
 * the same APIs as soon as `installStoredCrds` has run.
 */
import type { Logger } from 'pino';
import {
  type CrdSpec,
  crdCleanupFinalizer,
  crdConditions,
  crdResource,
  crdSpecOf,
  customResourceRef,
} from '../api/apiextensions/crd.js';
import { isRecord, type KubeObject, nowTimestamp } from '../api/meta.js';
import type { DynamicResources } from '../apiserver/server.js';
import type { Client } from '../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../controller/controller.js';
import { customResourceApi } from '../registry/apiextensions/custom-resource.js';

/** Where the controller installs and removes APIs (the ApiServer). */
export interface ApiInstaller {
  setDynamicResources(owner: string, resources: DynamicResources | undefined): void;
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export class CrdReconciler implements Reconciler {
  readonly #client: Client;
  readonly #server: ApiInstaller;
  readonly #log: Logger;
  /** The reconcile under way: CRDs are reconciled one at a time (see `reconcile`). */
  #running: Promise<unknown> = Promise.resolve();

  constructor(client: Client, server: ApiInstaller, logger: Logger) {
    this.#client = client;
    this.#server = server;
    this.#log = logger;
  }

  /**
   * One CRD at a time, as Kubernetes' naming controller has one worker: a CRD's names are judged
   * against the names the others were accepted with, which an earlier reconcile has written.
   */
  reconcile(key: ObjectKey): Promise<Result> {
    const next = this.#running.then(() => this.#reconcile(key));
    this.#running = next.catch(() => undefined);
    return next;
  }

  async #reconcile(key: ObjectKey): Promise<Result> {
    const crds = this.#client.resource(crdResource);
    const crd = await crds.find('', key.name);
    if (!crd) {
      this.#server.setDynamicResources(key.name, undefined);
      return {};
    }
    const others = (await crds.list('')).items.filter((o) => o.metadata.name !== key.name);
    const conflict = nameConflict(crdSpecOf(crd), others);
    if (conflict === undefined) this.#server.setDynamicResources(key.name, customResourceApi(crd));
    const status = nextStatus(crd, conflict);
    if (JSON.stringify(status) !== JSON.stringify(crd.status)) {
      await crds.update('', { ...crd, status }, { subresource: 'status' });
    }
    if (crd.metadata.deletionTimestamp) return this.#cleanUp(crd, conflict === undefined);
    // The CRD holding the names may go or rename; look again, as the naming controller does.
    return conflict === undefined ? {} : { requeueAfterMs: 5_000 };
  }

  /**
   * Deletes the CRD's custom resources (when its API is served: a CRD whose names were never
   * accepted has none); removes the finalizer once none is left.
   */
  async #cleanUp(crd: KubeObject, served: boolean): Promise<Result> {
    if (!(crd.metadata.finalizers ?? []).includes(crdCleanupFinalizer)) return {};
    if (served) {
      const objects = this.#client.resource(customResourceRef(crdSpecOf(crd)));
      for (const item of (await objects.list('')).items) {
        if (!item.metadata.deletionTimestamp) {
          await objects.deleteIfPresent(item.metadata.namespace ?? '', item.metadata.name!);
        }
      }
      if ((await objects.list('')).items.length > 0) return { requeueAfterMs: 200 };
    }
    const latest = await this.#client.resource(crdResource).find('', crd.metadata.name!);
    if (!latest) return {};
    const finalizers = (latest.metadata.finalizers ?? []).filter((f) => f !== crdCleanupFinalizer);
    await this.#client.resource(crdResource).update('', { ...latest, metadata: { ...latest.metadata, finalizers } });
    this.#log.info({ crd: crd.metadata.name }, 'custom resources deleted, CRD finalized');
    return {};
  }
}

/**
 * Serves the APIs of the stored CRDs whose names were accepted, before the server takes
 * requests: after a restart or a migration, the custom resources are there from the first
 * request on, as Kubernetes waits for its CRD informer before it is ready.
 */
export async function installStoredCrds(client: Client, server: ApiInstaller, logger: Logger): Promise<void> {
  for (const crd of (await client.resource(crdResource).list('')).items) {
    if (!crdConditions(crd).some((c) => c.type === 'NamesAccepted' && c.status === 'True')) continue;
    try {
      server.setDynamicResources(crd.metadata.name!, customResourceApi(crd));
    } catch (err) {
      logger.error({ err, crd: crd.metadata.name }, 'the API of a stored CRD cannot be served');
    }
  }
}

/** The first name of `spec` another CRD of its group has accepted, if any. */
function nameConflict(spec: CrdSpec, others: readonly KubeObject[]): string | undefined {
  const names = spec.names;
  const resources = [names.plural, names.singular, ...(names.shortNames ?? [])].filter(Boolean) as string[];
  const kinds = [names.kind, names.listKind].filter(Boolean) as string[];
  for (const other of others) {
    if (crdSpecOf(other).group !== spec.group) continue;
    const accepted = isRecord(other.status) && isRecord(other.status.acceptedNames) ? other.status.acceptedNames : {};
    const theirResources = [accepted.plural, accepted.singular, ...((accepted.shortNames as string[]) ?? [])];
    const theirKinds = [accepted.kind, accepted.listKind];
    const taken = resources.find((r) => theirResources.includes(r)) ?? kinds.find((k) => theirKinds.includes(k));
    if (taken) return taken;
  }
  return undefined;
}

/** The CRD's status once the controller has acted: names, conditions, stored versions. */
function nextStatus(crd: KubeObject, conflict: string | undefined): Record<string, unknown> {
  const status = isRecord(crd.status) ? structuredClone(crd.status) : {};
  const names = crdSpecOf(crd).names;
  const current = crdConditions(crd) as Condition[];
  const set = (condition: Condition) => {
    const old = current.find((c) => c.type === condition.type);
    const same = old && old.status === condition.status;
    return { ...condition, lastTransitionTime: same ? old.lastTransitionTime : nowTimestamp() };
  };
  const accepted = conflict === undefined;
  const conditions: Condition[] = [
    set(
      accepted
        ? { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }
        : {
            type: 'NamesAccepted',
            status: 'False',
            reason: 'NameConflict',
            message: `"${conflict}" is already in use`,
          },
    ),
    set(
      accepted
        ? {
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          }
        : { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' },
    ),
    ...current.filter((c) => c.type === 'Terminating'),
  ];
  if (accepted) {
    status.acceptedNames = {
      plural: names.plural,
      singular: names.singular,
      ...(names.shortNames?.length ? { shortNames: [...names.shortNames] } : {}),
      kind: names.kind,
      listKind: names.listKind,
      ...(names.categories?.length ? { categories: [...names.categories] } : {}),
    };
  }
  status.conditions = conditions;
  return status;
}
