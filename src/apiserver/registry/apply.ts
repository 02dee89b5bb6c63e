/**
 * Server-side apply as a verb of the generic store (k8s's patcher with the apply patch type): the
 * configuration is checked against the resource, then goes through the store's own update path
 * when the object exists, or its create path when it does not (where the resource is created at
 * all, and once the requester may create). The store lends its write paths (`ApplyWrites`), so an
 * apply runs the same strategy, validation and admission steps as any other write.
 */
import { isAlreadyExists } from '../../api/errors.js';
import { deepCopy, type KubeObject } from '../../api/meta.js';
import type { FieldManager, ManagedFieldsEntry } from '../fieldmanager/field-manager.js';
import type { ResourceDefinition } from '../types.js';
import { checkNameMatches, decodeApplyConfiguration } from './request-object.js';

/** What a write computed from the stored object: the object to store and its managedFields. */
export interface Written {
  object: KubeObject;
  managedFields: ManagedFieldsEntry[] | undefined;
}

export interface ApplyOptions {
  /** Take over the fields other managers own instead of failing with a conflict (`force=true`). */
  force: boolean;
  /** Checks that the requester may create the object, when the apply would create it. */
  authorizeCreate?: () => Promise<void>;
}

/** The store's write paths an apply goes through. */
export interface ApplyWrites {
  find(namespace: string, name: string): Promise<KubeObject | undefined>;
  /** The update path, with `compute` producing the object from the stored one. */
  update(
    namespace: string,
    name: string,
    subresource: string,
    compute: (current: KubeObject) => Written,
  ): Promise<KubeObject>;
  /** The create path, for an object and managedFields already computed. */
  create(namespace: string, written: Written): Promise<KubeObject>;
}

export interface ApplyRequest {
  namespace: string;
  name: string;
  subresource: string;
  body: unknown;
  manager: string;
  options: ApplyOptions;
}

export async function applyConfiguration(
  def: ResourceDefinition,
  fields: FieldManager,
  writes: ApplyWrites,
  request: ApplyRequest,
): Promise<{ object: KubeObject; created: boolean }> {
  const { namespace, name, subresource, manager, options } = request;
  const config = decodeApplyConfiguration(def, request.body, namespace);
  const applied = (current: KubeObject | undefined): Written => {
    const result = fields.apply(current && deepCopy(current), config, manager, subresource, options.force);
    checkNameMatches(result.object, name);
    return result;
  };
  const canCreate = subresource === '' && (def.verbs?.includes('create') ?? true);
  if (!canCreate || (await writes.find(namespace, name))) {
    return { object: await writes.update(namespace, name, subresource, applied), created: false };
  }
  await options.authorizeCreate?.();
  try {
    return { object: await writes.create(namespace, applied(undefined)), created: true };
  } catch (err) {
    // Created by someone else meanwhile: apply over theirs, as Kubernetes' retry does.
    if (!isAlreadyExists(err)) throw err;
    return { object: await writes.update(namespace, name, subresource, applied), created: false };
  }
}
