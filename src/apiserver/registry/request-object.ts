/**
 * Checks a request body against the resource and namespace it is sent to, as k8s's decoder and
 * EnsureObjectNamespaceMatchesRequestNamespace do: the store's create, update and patch all take
 * a client's object through here first, so it is one function rather than part of any one verb.
 */
import { badRequest } from '../../api/errors.js';
import { deepCopy, isRecord, type KubeObject } from '../../api/meta.js';
import { apiVersionOf, type ResourceDefinition } from '../types.js';

/** A copy of the body with apiVersion, kind and namespace checked, and filled in where omitted. */
export function decodeRequestObject(def: ResourceDefinition, body: KubeObject, namespace: string): KubeObject {
  if (!isRecord(body)) throw badRequest('the request body must be a JSON or YAML object');
  const apiVersion = apiVersionOf(def);
  const obj = deepCopy(body);
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== def.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${def.kind})`);
  }
  obj.apiVersion = apiVersion;
  obj.kind = def.kind;
  if (!isRecord(obj.metadata)) {
    if (obj.metadata !== undefined) throw badRequest('metadata must be an object');
    obj.metadata = {};
  }
  const meta = obj.metadata;
  if (def.namespaced) {
    if (meta.namespace && namespace && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (!namespace) throw badRequest(`${def.plural} is namespaced: the request must name a namespace`);
    meta.namespace = namespace;
  } else {
    delete meta.namespace;
  }
  return obj;
}

/**
 * An apply configuration checked against the resource (apimachinery's versionCheckManager: the
 * apiVersion and kind must be the resource's own) and the URL's namespace; the object it produces
 * is checked against the URL's name once merged (`checkNameMatches`).
 */
export function decodeApplyConfiguration(def: ResourceDefinition, body: unknown, namespace: string): KubeObject {
  if (!isRecord(body)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  const apiVersion = apiVersionOf(def);
  if (body.apiVersion !== apiVersion || body.kind !== def.kind) {
    const [group, version] = String(body.apiVersion ?? '').includes('/')
      ? String(body.apiVersion).split('/')
      : ['', String(body.apiVersion ?? '')];
    throw badRequest(
      `invalid object type: ${group}/${version}, Kind=${String(body.kind ?? '')}: this endpoint applies ${apiVersion} ${def.kind}`,
    );
  }
  return decodeRequestObject(def, body as KubeObject, namespace);
}

/** The name an update or apply produced must be the one on the URL. */
export function checkNameMatches(obj: KubeObject, name: string): void {
  if (obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`,
    );
  }
}
