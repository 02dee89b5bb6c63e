/**
 * The `pod-template-hash` of a Deployment's ReplicaSets (pkg/controller/controller_utils.go
 * ComputeHash): FNV-32a over the pod template, then over the collision count (8 bytes, little
 * endian) when the Deployment has one, its decimal value written in Kubernetes' "safe" alphabet
 * (apimachinery rand.SafeEncodeString: no vowels, no look-alike characters).
 *
 * Kubernetes feeds the Go struct's spew dump to the hash; this hashes the template's canonical
 * JSON (keys sorted), so the same template gets a different hash than on kube-controller-manager.
 * That is harmless by design: a hash only names a new ReplicaSet; existing ones are always found
 * by comparing templates (`equalIgnoringHash`), so a control plane that moved, or took over from
 * a real kube-controller-manager, never rolls out because a hash came out different.
 */

import { canonicalJson } from '../../../../api/canonical-json.js';
import type { PodTemplateSpec } from '../../../../api/core/pod-template.js';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Each character of `text` replaced by the safe alphabet's character at its code modulo 27. */
export function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

export function computeHash(template: unknown, collisionCount?: number): string {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(bytes, hash);
  }
  return safeEncode(String(hash));
}

function withoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(template ?? {});
  const labels = copy.metadata?.labels;
  if (labels) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0 && copy.metadata) delete copy.metadata.labels;
  }
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return copy;
}

/** Whether two pod templates are the same but for the hash label (EqualIgnoreHash). */
export function equalIgnoringHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}
