/**
 * The relations between the garden's objects that decide what a seed's gardenlet may reach, as
 * Gardener's SeedAuthorizer keeps them (`pkg/admissioncontroller/.../seed/graph`): a directed
 * graph whose edges point from an object to the object it serves, ending at Seeds. A gardenlet
 * may read an object when a path leads from it to its own Seed:
 *
 *     Shoot ──spec.seedName / status.seedName──▶ Seed
 *     BackupEntry ──spec.seedName / status.seedName──▶ Seed
 *     BackupBucket ──spec.seedName──▶ Seed
 *     BackupBucket ──▶ BackupEntry naming it in spec.bucketName (the Restore's source entry reads
 *                      the source seed's bucket)
 *     Secret ──▶ Seed whose spec.backup.credentialsRef names it
 *     Secret ──▶ BackupBucket whose spec.secretRef or status.generatedSecretRef names it
 *     ControllerInstallation ──spec.seedRef──▶ Seed
 *     ControllerRegistration ──▶ ControllerInstallation naming it in spec.registrationRef
 *     MigrationPreflight ──spec.seedName / status.sourceSeedName──▶ Seed (the target probes the
 *                      source's store, the source asks its machines)
 *
 * Each object contributes the edges its own fields say; an update replaces them, a removal
 * drops them (an edge two objects contribute stays while one does). Secrets are vertices only
 * through references, so the graph needs no Secret contents. Reachability answers are cached
 * until the graph changes.
 */
import { type BackupBucket, isBackupBucket } from '../../api/core-gardener/backup-bucket.js';
import {
  type BackupEntry,
  backupEntrySpecSeedName,
  backupEntryStatusSeedName,
  isBackupEntry,
} from '../../api/core-gardener/backup-entry.js';
import { isControllerInstallation } from '../../api/core-gardener/controller-installation.js';
import { isSeed, seedBackupSecretRef } from '../../api/core-gardener/seed.js';
import { isShoot, shootSpecSeedName, shootStatusSeedName } from '../../api/core-gardener/shoot.js';
import type { KubeObject } from '../../api/meta.js';
import { isMigrationPreflight } from '../../api/migration-transplant/migration-preflight.js';

export type VertexKind =
  | 'Seed'
  | 'Shoot'
  | 'BackupBucket'
  | 'BackupEntry'
  | 'Secret'
  | 'ControllerInstallation'
  | 'ControllerRegistration'
  | 'MigrationPreflight';

/** `Kind/namespace/name`, the namespace empty for cluster-scoped kinds. */
export type VertexKey = string & { readonly __vertex: unique symbol };

export function vertex(kind: VertexKind, namespace: string, name: string): VertexKey {
  return `${kind}/${namespace}/${name}` as VertexKey;
}

/** Where backup Secret references without a namespace point (Gardener's default). */
const secretDefaultNamespace = 'garden';

type Edge = readonly [from: VertexKey, to: VertexKey];

export class SeedGraph {
  /** from → to → how many objects contribute that edge. */
  readonly #out = new Map<VertexKey, Map<VertexKey, number>>();
  /** The edges each object contributes, to take them back when it changes. */
  readonly #contributed = new Map<VertexKey, readonly Edge[]>();
  /** The seed each BackupBucket is placed on (`spec.seedName`): only that seed writes it. */
  readonly #bucketSeeds = new Map<string, string>();
  #reachable = new Map<string, boolean>();
  #generation = 0;

  /** Bumped by every change; cached answers older than it are dropped. */
  get generation(): number {
    return this.#generation;
  }

  /** Records an object of a kind the graph follows (others are ignored). */
  upsert(obj: KubeObject): void {
    const self = vertexOf(obj);
    if (!self) return;
    this.#replace(self, edgesOf(self, obj));
    if (isBackupBucket(obj)) {
      const seed = obj.spec?.seedName;
      if (seed) this.#bucketSeeds.set(obj.metadata.name!, seed);
      else this.#bucketSeeds.delete(obj.metadata.name!);
    }
  }

  remove(obj: KubeObject): void {
    const self = vertexOf(obj);
    if (!self) return;
    this.#replace(self, undefined);
    if (isBackupBucket(obj)) this.#bucketSeeds.delete(obj.metadata.name!);
  }

  /** Forgets everything (before a full relist). */
  clear(): void {
    this.#out.clear();
    this.#contributed.clear();
    this.#bucketSeeds.clear();
    this.#changed();
  }

  /** Whether the object exists as far as the graph knows (Secrets: whether anything refers to it). */
  has(key: VertexKey): boolean {
    return this.#contributed.has(key) || this.#out.has(key);
  }

  /** The seed a BackupBucket is placed on. */
  bucketSeed(name: string): string | undefined {
    return this.#bucketSeeds.get(name);
  }

  /** Whether a path leads from `from` to Seed `seed`. */
  reaches(from: VertexKey, seed: string): boolean {
    const target = vertex('Seed', '', seed);
    const cacheKey = `${from}\0${target}`;
    const cached = this.#reachable.get(cacheKey);
    if (cached !== undefined) return cached;
    const answer = this.#search(from, target);
    this.#reachable.set(cacheKey, answer);
    return answer;
  }

  #search(from: VertexKey, target: VertexKey): boolean {
    if (from === target) return true;
    const seen = new Set<VertexKey>([from]);
    const queue: VertexKey[] = [from];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const to of this.#out.get(next)?.keys() ?? []) {
        if (to === target) return true;
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    return false;
  }

  #replace(self: VertexKey, edges: readonly Edge[] | undefined): void {
    for (const [from, to] of this.#contributed.get(self) ?? []) {
      const targets = this.#out.get(from);
      const count = (targets?.get(to) ?? 0) - 1;
      if (count > 0) targets!.set(to, count);
      else targets?.delete(to);
      if (targets?.size === 0) this.#out.delete(from);
    }
    if (edges) {
      this.#contributed.set(self, edges);
      for (const [from, to] of edges) {
        const targets = this.#out.get(from) ?? new Map<VertexKey, number>();
        targets.set(to, (targets.get(to) ?? 0) + 1);
        this.#out.set(from, targets);
      }
    } else {
      this.#contributed.delete(self);
    }
    this.#changed();
  }

  #changed(): void {
    this.#generation++;
    this.#reachable = new Map();
  }
}

function vertexOf(obj: KubeObject): VertexKey | undefined {
  const { namespace = '', name = '' } = obj.metadata;
  if (isShoot(obj)) return vertex('Shoot', namespace, name);
  if (isBackupEntry(obj)) return vertex('BackupEntry', namespace, name);
  if (isBackupBucket(obj)) return vertex('BackupBucket', '', name);
  if (isSeed(obj)) return vertex('Seed', '', name);
  if (isControllerInstallation(obj)) return vertex('ControllerInstallation', '', name);
  if (isMigrationPreflight(obj)) return vertex('MigrationPreflight', namespace, name);
  return undefined;
}

/** The edges an object's own fields say (every kind also stands as a vertex of its own). */
function edgesOf(self: VertexKey, obj: KubeObject): Edge[] {
  const seedEdges = (...seeds: (string | undefined)[]): Edge[] =>
    [...new Set(seeds.filter((s): s is string => !!s))].map((s) => [self, vertex('Seed', '', s)] as const);
  if (isShoot(obj)) return seedEdges(shootSpecSeedName(obj), shootStatusSeedName(obj));
  if (isBackupEntry(obj)) {
    const entry = obj as BackupEntry;
    const bucket = entry.spec?.bucketName;
    return [
      ...seedEdges(backupEntrySpecSeedName(entry), backupEntryStatusSeedName(entry)),
      ...(bucket ? [[vertex('BackupBucket', '', bucket), self] as const] : []),
    ];
  }
  if (isBackupBucket(obj)) {
    const bucket = obj as BackupBucket;
    const refs = [bucket.spec?.secretRef, bucket.status?.generatedSecretRef];
    return [
      ...seedEdges(bucket.spec?.seedName ?? undefined),
      ...refs.flatMap((ref) =>
        ref?.name ? [[vertex('Secret', ref.namespace || secretDefaultNamespace, ref.name), self] as const] : [],
      ),
    ];
  }
  if (isSeed(obj)) {
    const ref = seedBackupSecretRef(obj);
    return ref ? [[vertex('Secret', ref.namespace, ref.name), self]] : [];
  }
  if (isMigrationPreflight(obj)) return seedEdges(obj.spec.seedName, obj.status?.sourceSeedName);
  if (isControllerInstallation(obj)) {
    const registration = obj.spec.registrationRef.name;
    return [
      ...seedEdges(obj.spec.seedRef?.name),
      ...(registration ? [[vertex('ControllerRegistration', '', registration), self] as const] : []),
    ];
  }
  return [];
}
