/**
 * ShootState (core.gardener.cloud/v1beta1, namespaced, named after its shoot): what cannot be
 * rebuilt when a control plane moves (persisted secrets, extension states, machine state). Written
 * by the source gardenlet during Migrate and read by the destination during Restore. It has no
 * status.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalArray } from '../validation.js';
import { GARDENER_GROUP, GARDENER_VERSION, specOf } from './common.js';

export const shootStateResource = resourceRef({
  group: GARDENER_GROUP,
  version: GARDENER_VERSION,
  kind: 'ShootState',
  plural: 'shootstates',
  namespaced: true,
});

/** One `spec.gardener[]` entry (merge key `name`), e.g. a persisted secret or the machine state. */
export interface GardenerResourceData {
  name: string;
  type: string;
  data: unknown;
  labels?: Record<string, string>;
}

/** One `spec.extensions[]` entry: the state an extension saved in `.status.state`. */
export interface ExtensionResourceState {
  kind: string;
  name?: string;
  purpose?: string;
  state?: unknown;
  resources?: { name: string; resourceRef: { apiVersion?: string; kind: string; name: string } }[];
}

/** One `spec.resources[]` entry: an object referenced by an extension state. */
export interface ResourceData {
  apiVersion?: string;
  kind: string;
  name: string;
  data: unknown;
}

function listOf<T>(shootState: KubeObject, field: string): T[] {
  const list = specOf(shootState)?.[field];
  return Array.isArray(list) ? (list.filter(isRecord) as T[]) : [];
}

/** `spec.gardener` entries. */
export function shootStateGardenerData(shootState: KubeObject): GardenerResourceData[] {
  return listOf<GardenerResourceData>(shootState, 'gardener');
}

/** `spec.extensions` entries. */
export function shootStateExtensions(shootState: KubeObject): ExtensionResourceState[] {
  return listOf<ExtensionResourceState>(shootState, 'extensions');
}

/** `spec.resources` entries. */
export function shootStateResources(shootState: KubeObject): ResourceData[] {
  return listOf<ResourceData>(shootState, 'resources');
}

/** Validates the list shapes and the `name`/`type`/`kind` keys the controllers rely on. */
export function validateShootStateSpec(spec: unknown): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isRecord(spec)) return [FieldError.typeInvalid('spec', spec, 'must be an object')];
  const errs = [
    ...optionalArray(spec.gardener, 'spec.gardener'),
    ...optionalArray(spec.extensions, 'spec.extensions'),
    ...optionalArray(spec.resources, 'spec.resources'),
  ];
  if (Array.isArray(spec.gardener)) {
    const seen = new Set<string>();
    spec.gardener.forEach((entry, i) => {
      const path = `spec.gardener[${i}]`;
      if (!isRecord(entry)) {
        errs.push(FieldError.typeInvalid(path, entry, 'must be an object'));
        return;
      }
      if (typeof entry.name !== 'string' || entry.name === '') errs.push(FieldError.required(`${path}.name`));
      else if (seen.has(entry.name)) errs.push(FieldError.duplicate(`${path}.name`, entry.name));
      else seen.add(entry.name);
      if (typeof entry.type !== 'string' || entry.type === '') errs.push(FieldError.required(`${path}.type`));
    });
  }
  if (Array.isArray(spec.extensions)) {
    spec.extensions.forEach((entry, i) => {
      const path = `spec.extensions[${i}]`;
      if (!isRecord(entry)) errs.push(FieldError.typeInvalid(path, entry, 'must be an object'));
      else if (typeof entry.kind !== 'string' || entry.kind === '') errs.push(FieldError.required(`${path}.kind`));
    });
  }
  if (Array.isArray(spec.resources)) {
    spec.resources.forEach((entry, i) => {
      const path = `spec.resources[${i}]`;
      if (!isRecord(entry)) {
        errs.push(FieldError.typeInvalid(path, entry, 'must be an object'));
        return;
      }
      if (typeof entry.kind !== 'string' || entry.kind === '') errs.push(FieldError.required(`${path}.kind`));
      if (typeof entry.name !== 'string' || entry.name === '') errs.push(FieldError.required(`${path}.name`));
    });
  }
  return errs;
}
