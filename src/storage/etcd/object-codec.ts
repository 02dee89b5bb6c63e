/**
 * How objects are stored in etcd: JSON without `metadata.resourceVersion`, which is the key's
 * mod revision and is put back on read (as the Kubernetes etcd3 store does).
 */
import { isRecord, type KubeObject } from '../../api/meta.js';
import { StorageError } from '../interface.js';

/** The stored JSON of `obj`; any resourceVersion it carries is dropped, other fields keep their order. */
export function encodeObject(obj: KubeObject): string {
  const { resourceVersion: _ignored, ...metadata } = obj.metadata;
  return JSON.stringify({ ...obj, metadata });
}

/** The object stored as `value`, stamped with `revision`; `Internal` when the value is not an object's JSON. */
export function decodeObject(key: string, value: Buffer | string, revision: string | number): KubeObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    throw new StorageError('Internal', key, `the etcd value of "${key}" is not JSON`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.metadata)) {
    throw new StorageError('Internal', key, `the etcd value of "${key}" is not an object with metadata`);
  }
  return { ...parsed, metadata: { ...parsed.metadata, resourceVersion: String(revision) } };
}
