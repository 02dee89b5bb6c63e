/**
 * ShootState (core.gardener.cloud/v1beta1, namespaced, named after its shoot): what cannot be
 * rebuilt when a control plane moves (persisted secrets, extension states, machine state). Written
 * by the source gardenlet during Migrate and read by the destination during Restore. It has no
 * status.
 */
import { FieldError } from '../errors.js';
import { aString, aStringMap, listOf, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { optionalArray } from '../validation.js';
import { gardenerKind } from './common.js';

/** One `spec.gardener[]` entry (merge key `name`), e.g. a persisted secret or the machine state. */
export interface GardenerResourceData {
  name: string;
  /** What `data` holds: `secret` for a persisted secret (src/shoot/shoot-secrets.ts), `machine-state`, … */
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

export interface ShootStateSpec {
  gardener?: GardenerResourceData[];
  extensions?: ExtensionResourceState[];
  resources?: ResourceData[];
}

export interface ShootState extends KubeObject {
  spec?: ShootStateSpec;
}

/**
 * The guard (whether an object is a ShootState with the lists above, entries keyed as the
 * controllers rely on) and the reference that carries it, so that clients read checked objects.
 */
export const { is: isShootState, resource: shootStateResource } = gardenerKind<ShootState>(
  { kind: 'ShootState', plural: 'shootstates', namespaced: true },
  {
    spec: optional(
      shape<ShootStateSpec>({
        gardener: optional(
          listOf(shape<GardenerResourceData>({ name: aString, type: aString, labels: optional(aStringMap) })),
        ),
        extensions: optional(listOf(shape<ExtensionResourceState>({ kind: aString, name: optional(aString) }))),
        resources: optional(listOf(shape<ResourceData>({ kind: aString, name: aString }))),
      }),
    ),
  },
);

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
