/**
 * The objects the conformance cases write and the assertion they share: small `Thing`s whose
 * `spec.n` a case can count with, and a check that a promise fails with one StorageError code.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.js';
import { isStorageError, type Storage, type StorageErrorCode } from '../interface.js';

export function thing(name: string, options: { n?: number; resourceVersion?: string } = {}): KubeObject {
  const metadata: KubeObject['metadata'] = { name, uid: `uid-${name}` };
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  return { apiVersion: 'test/v1', kind: 'Thing', metadata, spec: { n: options.n ?? 0 } };
}

/** An object that records its own key, for cases about which keys come back. */
export function keyed(key: string): KubeObject {
  return { ...thing(key.split('/').pop()!), key };
}

export function spec(obj: KubeObject): { n: number } {
  return obj.spec as { n: number };
}

export function withN(obj: KubeObject, n: number): KubeObject {
  return { ...obj, spec: { n } };
}

/** Creates `/registry/things/obj-000` … in key order, `spec.n` counting from 0. */
export async function createNumbered(store: Storage, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await store.create(`/registry/things/obj-${String(n).padStart(3, '0')}`, thing(`obj-${n}`, { n }));
  }
}

export async function assertStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isStorageError(err), `expected a StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}
