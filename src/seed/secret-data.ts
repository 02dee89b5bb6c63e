/**
 * Writing a Secret's data idempotently: create it, or replace its data when it differs. Callers
 * learn whether anything changed, so that they re-trigger the consumers of the secret only then.
 */
import { isRecord, type KubeObject } from '../api/meta.js';
import type { ResourceClient } from '../client/client.js';

/** A Secret's `data` (base64 values), `{}` when it has none. */
export function secretDataOf(secret: KubeObject | null | undefined): Record<string, string> {
  const data = isRecord(secret?.data) ? secret.data : {};
  return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function sameData(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * Makes `namespace/name` an Opaque Secret holding exactly `data` (base64 values). Returns true
 * when it created or changed the secret.
 */
export async function applySecretData(
  secrets: ResourceClient,
  namespace: string,
  name: string,
  data: Record<string, string>,
): Promise<boolean> {
  const current = await secrets.find(namespace, name);
  if (!current) {
    await secrets.create(namespace, { metadata: { name, namespace }, type: 'Opaque', data });
    return true;
  }
  if (sameData(secretDataOf(current), data)) return false;
  await secrets.update(namespace, { ...current, data });
  return true;
}
