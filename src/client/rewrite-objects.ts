/**
 * Rewrites every object of a resource unchanged through the API, as
 * `kubectl get secrets -A -o json | kubectl replace -f -` does: the server's storage writes each
 * one again in its current form, so after a key rotation every object is encrypted with the new
 * first key (and after `identity` is put first, decrypted). Idempotent and crash-safe: each
 * object is one optimistic update; run it again after a crash and it goes on where it stopped.
 */
import { isConflict, isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';
import type { Client } from './client.js';

/** Objects rewritten, and those deleted between the list and their update. */
export interface RewriteResult {
  rewritten: number;
  gone: number;
}

const PAGE = 500;

export async function rewriteObjects(client: Client, resource: ResourceRef): Promise<RewriteResult> {
  const objects = client.resource(resource);
  const result: RewriteResult = { rewritten: 0, gone: 0 };
  let token: string | undefined;
  do {
    const page = await objects.list('', { limit: PAGE, ...(token ? { continue: token } : {}) });
    for (const listed of page.items) {
      const done = await rewriteOne(client, resource, listed);
      result[done]++;
    }
    token = page.metadata?.continue || undefined;
  } while (token);
  return result;
}

/** One object rewritten as it is now: a conflict means it changed (and was written) meanwhile, so it is read again. */
async function rewriteOne(client: Client, resource: ResourceRef, listed: KubeObject): Promise<keyof RewriteResult> {
  const objects = client.resource(resource);
  const namespace = listed.metadata.namespace ?? '';
  let current = listed;
  for (;;) {
    try {
      await objects.update(namespace, current);
      return 'rewritten';
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      if (!isConflict(err)) throw err;
    }
    const fresh = await objects.find(namespace, current.metadata.name ?? '');
    if (!fresh) return 'gone';
    current = fresh;
  }
}
