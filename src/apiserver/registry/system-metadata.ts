/**
 * The metadata the server owns, not the client (k8s rest.BeforeCreate/BeforeUpdate and
 * FillObjectMetaSystemFields): uid, creationTimestamp, generation and the deletion fields. Kept
 * in one module so the list of owned fields and every rule that stamps or protects them are read
 * together; the store calls these at fixed points of its create and update paths.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type KubeObject, nowTimestamp, type ObjectMeta } from '../../api/meta.js';

/** Fields the server owns: a client's value is replaced by the stored one on update. */
const systemMetadataFields = [
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
];

/**
 * Stamps a new object: a name from generateName when it has none, a fresh uid, creationTimestamp
 * and generation 1. Whatever the client sent for an owned field or resourceVersion is dropped.
 */
export function fillSystemMetadataOnCreate(meta: ObjectMeta): void {
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
  for (const field of [...systemMetadataFields, 'resourceVersion']) delete meta[field];
  meta.uid = randomUUID();
  meta.creationTimestamp = nowTimestamp();
  meta.generation = 1;
}

/** Puts the stored owned fields and resourceVersion back on an updated object: a client cannot change them. */
export function keepSystemMetadataOnUpdate(next: KubeObject, current: KubeObject): void {
  for (const field of systemMetadataFields) {
    if (current.metadata[field] === undefined) delete next.metadata[field];
    else next.metadata[field] = current.metadata[field];
  }
  next.metadata.resourceVersion = current.metadata.resourceVersion;
}

/** A spec change is a new generation, unless the strategy already set one. */
export function bumpGenerationOnSpecChange(next: KubeObject, current: KubeObject): void {
  if (specChanged(next, current) && next.metadata.generation === current.metadata.generation) {
    next.metadata.generation = (current.metadata.generation ?? 0) + 1;
  }
}

/** True when anything besides metadata and status differs. */
function specChanged(next: KubeObject, current: KubeObject): boolean {
  const strip = ({ metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest }: KubeObject) => rest;
  return !isDeepStrictEqual(strip(next), strip(current));
}

const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  return Array.from(randomBytes(5), (b) => suffixAlphabet[b % suffixAlphabet.length]).join('');
}
