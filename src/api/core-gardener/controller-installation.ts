/**
 * ControllerInstallation (core.gardener.cloud/v1beta1, cluster-scoped): one ControllerRegistration
 * wanted on one seed (`spec.registrationRef`, `spec.seedRef`). The garden's controller creates
 * and deletes them by the registrations' deployment policy; the seed's gardenlet reports in
 * `status.conditions` whether its process runs the registration's controllers (`Valid`,
 * `Installed`, `Healthy`, `Progressing`, Gardener's condition types). Validation is Gardener's
 * (`pkg/api/core/validation/controllerinstallation.go`).
 */
import { createHash } from 'node:crypto';
import { FieldError } from '../errors.js';
import { aString, optional, shape } from '../kind-guard.js';
import { type Condition, isRecord, type KubeObject } from '../meta.js';
import { DNS1123_LABEL_MAX_LENGTH, semanticEqual } from '../validation.js';
import { gardenerKind } from './common.js';
import { getCondition, someConditions } from './conditions.js';

/** Gardener's ControllerInstallation condition types. */
export const ControllerInstallationConditionType = Object.freeze({
  Valid: 'Valid',
  Installed: 'Installed',
  Healthy: 'Healthy',
  Progressing: 'Progressing',
  Required: 'Required',
} as const);

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
  resourceVersion?: string;
}

export interface ControllerInstallationSpec {
  registrationRef: ObjectReference;
  seedRef?: ObjectReference;
  /** Self-hosted shoots' installations (stored, not acted on). */
  shootRef?: ObjectReference;
  deploymentRef?: ObjectReference;
}

export interface ControllerInstallationStatus {
  conditions?: Condition[];
}

export interface ControllerInstallation extends KubeObject {
  spec: ControllerInstallationSpec;
  status?: ControllerInstallationStatus;
}

const aReference = shape<ObjectReference>({
  apiVersion: optional(aString),
  kind: optional(aString),
  name: aString,
  namespace: optional(aString),
  resourceVersion: optional(aString),
});

export const { is: isControllerInstallation, resource: controllerInstallationResource } =
  gardenerKind<ControllerInstallation>(
    { kind: 'ControllerInstallation', plural: 'controllerinstallations', namespaced: false },
    {
      spec: shape<ControllerInstallationSpec>({
        registrationRef: aReference,
        seedRef: optional(aReference),
        shootRef: optional(aReference),
        deploymentRef: optional(aReference),
      }),
      status: optional(shape<ControllerInstallationStatus>({ conditions: someConditions })),
    },
  );

/** The label carrying a hash of the registration's spec: a changed registration changes its installations. */
export const REGISTRATION_SPEC_HASH_LABEL = 'registration-spec-hash';

/**
 * The installation of `registration` on `seed`: `<registration>-<seed>`, or, beyond a DNS label's
 * 63 characters, a prefix of it and a hash of both. Gardener names them `<registration>-<random>`;
 * a fixed name makes a second create of the same pair fail with AlreadyExists instead.
 */
export function controllerInstallationName(registration: string, seed: string): string {
  const name = `${registration}-${seed}`;
  if (name.length <= DNS1123_LABEL_MAX_LENGTH) return name;
  const hash = createHash('sha256').update(`${registration}\0${seed}`).digest('hex').slice(0, 10);
  return `${name.slice(0, DNS1123_LABEL_MAX_LENGTH - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** `spec.seedRef.name`, '' without one. */
export function installationSeedName(installation: ControllerInstallation): string {
  return installation.spec.seedRef?.name ?? '';
}

/** A condition's status, `<unknown>` when absent (Gardener's table cells). */
export function installationConditionStatus(installation: ControllerInstallation, type: string): string {
  return getCondition(installation.status?.conditions ?? [], type)?.status ?? '<unknown>';
}

/**
 * Gardener's `IsControllerInstallationSuccessful`: Installed and Healthy True, Progressing False.
 */
export function installationSucceeded(installation: ControllerInstallation): boolean {
  const conditions = installation.status?.conditions ?? [];
  const is = (type: string, status: string) => getCondition(conditions, type)?.status === status;
  const { Installed, Healthy, Progressing } = ControllerInstallationConditionType;
  return is(Installed, 'True') && is(Healthy, 'True') && is(Progressing, 'False');
}

function referenceErrors(value: unknown, path: string, required: boolean): FieldError[] {
  if (value === undefined || value === null)
    return required ? [FieldError.required(`${path}.name`, 'field is required')] : [];
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  if (typeof value.name !== 'string' || value.name === '')
    return [FieldError.required(`${path}.name`, 'field is required')];
  return [];
}

export function validateControllerInstallation(obj: KubeObject): FieldError[] {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const errs = referenceErrors(spec.registrationRef, 'spec.registrationRef', true);
  if (
    (spec.seedRef === undefined || spec.seedRef === null) &&
    (spec.shootRef === undefined || spec.shootRef === null)
  ) {
    errs.push(FieldError.forbidden('spec.seedRef', 'either seedRef or shootRef must be set'));
  }
  errs.push(...referenceErrors(spec.seedRef, 'spec.seedRef', false));
  errs.push(...referenceErrors(spec.shootRef, 'spec.shootRef', false));
  if (isRecord(spec.shootRef) && !spec.shootRef.namespace) {
    errs.push(FieldError.required('spec.shootRef.namespace', 'field is required'));
  }
  return errs;
}

/** The registration and the seed stay; nothing changes once the installation is being deleted. */
export function validateControllerInstallationUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  if (obj.metadata.deletionTimestamp && !semanticEqual(obj.spec, old.spec)) {
    return [FieldError.forbidden('spec', 'cannot update controller installation spec if deletion timestamp is set')];
  }
  const errs = validateControllerInstallation(obj);
  const name = (o: KubeObject, ref: string) => {
    const spec = isRecord(o.spec) ? o.spec : {};
    const value = spec[ref];
    return isRecord(value) ? value.name : undefined;
  };
  for (const ref of ['registrationRef', 'seedRef']) {
    const before = name(old, ref);
    const after = name(obj, ref);
    if (before !== undefined && after !== undefined && before !== after) {
      errs.push(FieldError.immutable(`spec.${ref}.name`, after));
    }
  }
  return errs;
}
