/**
 * Operations an operator asks of a shoot with the `gardener.cloud/operation` annotation, and the
 * two-phase credentials rotations they drive (Gardener's `v1beta1constants.ShootOperation*`,
 * `status.credentials.rotation`, docs/usage/shoot-operations/shoot_credentials_rotation.md):
 *
 * - `reconcile` and `retry` are consumed by the API server (src/registry/core-gardener/shoot.ts):
 *   they bump the generation and go, and the gardenlet reconciles.
 * - `rotate-*-start` / `rotate-*-complete` stay on the shoot (and bump the generation) until the
 *   gardenlet has taken them on: it records the phase in the status first (Preparing,
 *   Completing), then drops the annotation, then runs the reconcile flow, whose success moves the
 *   phase on (Prepared, Completed). The phase is the state; the annotation is only the request.
 *
 * Admission, as Gardener's `validateShootOperation`: an unknown value is `NotSupported` on
 * `metadata.annotations[gardener.cloud/operation]`; a start while a rotation is under way, a
 * complete before it is Prepared, a start before the shoot was created, or a rotation of all
 * credentials or of the service-account key on a hibernated shoot is `Forbidden`. Values are
 * checked when they are set or changed, so a value stored before a phase moved on never blocks
 * other writes. Gardener refuses none of them during a migration or deletion: an annotation set
 * then waits for the next Create, Reconcile or Restore, which takes it on.
 */
import { FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { isRecord } from '../meta.js';
import { GARDENER_OPERATION_ANNOTATION, type LastOperation } from './common.js';

export const ShootOperationAnnotation = Object.freeze({
  reconcile: 'reconcile',
  retry: 'retry',
  rotateCredentialsStart: 'rotate-credentials-start',
  rotateCredentialsComplete: 'rotate-credentials-complete',
  rotateCaStart: 'rotate-ca-start',
  rotateCaComplete: 'rotate-ca-complete',
  rotateServiceAccountKeyStart: 'rotate-serviceaccount-key-start',
  rotateServiceAccountKeyComplete: 'rotate-serviceaccount-key-complete',
} as const);

export type ShootOperationAnnotationValue = (typeof ShootOperationAnnotation)[keyof typeof ShootOperationAnnotation];

/** The values Transplant runs (Gardener's others, e.g. `rotate-ssh-keypair`, are refused rather than ignored). */
export const SUPPORTED_SHOOT_OPERATIONS: readonly string[] = Object.freeze(
  Object.values(ShootOperationAnnotation).slice().sort(),
);

/** `status.credentials.rotation.<kind>.phase`. */
export type CredentialsRotationPhase = 'Preparing' | 'Prepared' | 'Completing' | 'Completed';

/** One two-phase rotation's status (Gardener's `CARotation`, `ServiceAccountKeyRotation`). */
export interface CredentialsRotationStatus {
  phase?: CredentialsRotationPhase;
  lastInitiationTime?: string;
  lastInitiationFinishedTime?: string;
  lastCompletionTriggeredTime?: string;
  lastCompletionTime?: string;
}

/** The two-phase rotations Transplant runs, by their field in `status.credentials.rotation`. */
export type RotationKind = 'certificateAuthorities' | 'serviceAccountKey';
export const ROTATION_KINDS: readonly RotationKind[] = Object.freeze(['certificateAuthorities', 'serviceAccountKey']);

/** `status.credentials`. */
export interface ShootCredentials {
  rotation?: { [K in RotationKind]?: CredentialsRotationStatus };
}

/** What one annotation asks: which rotations, and which half. */
interface RotationRequest {
  kinds: readonly RotationKind[];
  step: 'start' | 'complete';
  /** Gardener's wording in its Forbidden messages. */
  what: string;
}

const rotationRequests: Readonly<Record<string, RotationRequest>> = Object.freeze({
  [ShootOperationAnnotation.rotateCredentialsStart]: { kinds: ROTATION_KINDS, step: 'start', what: 'all credentials' },
  [ShootOperationAnnotation.rotateCredentialsComplete]: {
    kinds: ROTATION_KINDS,
    step: 'complete',
    what: 'all credentials',
  },
  [ShootOperationAnnotation.rotateCaStart]: { kinds: ['certificateAuthorities'], step: 'start', what: 'CA' },
  [ShootOperationAnnotation.rotateCaComplete]: { kinds: ['certificateAuthorities'], step: 'complete', what: 'CA' },
  [ShootOperationAnnotation.rotateServiceAccountKeyStart]: {
    kinds: ['serviceAccountKey'],
    step: 'start',
    what: 'service account key',
  },
  [ShootOperationAnnotation.rotateServiceAccountKeyComplete]: {
    kinds: ['serviceAccountKey'],
    step: 'complete',
    what: 'service account key',
  },
});

/** Gardener refuses these on a hibernated shoot (they need the API server); CA rotation is allowed. */
const forbiddenWhenHibernated = new Set<string>([
  ShootOperationAnnotation.rotateCredentialsStart,
  ShootOperationAnnotation.rotateCredentialsComplete,
  ShootOperationAnnotation.rotateServiceAccountKeyStart,
  ShootOperationAnnotation.rotateServiceAccountKeyComplete,
]);

/** The value of `gardener.cloud/operation`, undefined when absent or empty. */
export function shootOperationOf(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION] || undefined;
}

/** A rotation annotation: the gardenlet takes it on, so the API server keeps it (and bumps the generation). */
export function isRotationOperation(operation: string | undefined): boolean {
  return operation !== undefined && operation in rotationRequests;
}

const annotationPath = `metadata.annotations[${GARDENER_OPERATION_ANNOTATION}]`;

/**
 * Gardener's `validateShootOperation` for a Shoot being created (`old` undefined) or updated: only
 * a value that is new or changed is checked.
 */
export function validateShootOperation(obj: KubeObject, old?: KubeObject): FieldError[] {
  const operation = shootOperationOf(obj);
  if (operation === undefined || (old && shootOperationOf(old) === operation)) return [];
  if (!SUPPORTED_SHOOT_OPERATIONS.includes(operation)) {
    return [FieldError.notSupported(annotationPath, operation, SUPPORTED_SHOOT_OPERATIONS)];
  }
  const errs: FieldError[] = [];
  const spec = isRecord(obj.spec) ? obj.spec : {};
  if (forbiddenWhenHibernated.has(operation) && isRecord(spec.hibernation) && spec.hibernation.enabled === true) {
    errs.push(FieldError.forbidden(annotationPath, 'operation is not permitted when shoot is hibernated'));
  }
  const request = rotationRequests[operation];
  if (!request) return errs;
  const credentials = credentialsOf(obj);
  const lastOperation = isRecord(obj.status) ? (obj.status.lastOperation as LastOperation | undefined) : undefined;
  if (request.step === 'start' && !readyForRotationStart(lastOperation)) {
    errs.push(
      FieldError.forbidden(
        annotationPath,
        `cannot start rotation of ${request.what} if shoot was not yet created successfully or is not ready for reconciliation`,
      ),
    );
  }
  for (const kind of request.kinds) {
    const phase = rotationPhase(credentials, kind);
    if (request.step === 'start' && phase !== undefined && phase !== 'Completed') {
      errs.push(
        FieldError.forbidden(
          annotationPath,
          `cannot start rotation of ${request.what} if .status.credentials.rotation.${kind}.phase is not 'Completed'`,
        ),
      );
    }
    if (request.step === 'complete' && phase !== 'Prepared') {
      errs.push(
        FieldError.forbidden(
          annotationPath,
          `cannot complete rotation of ${request.what} if .status.credentials.rotation.${kind}.phase is not 'Prepared'`,
        ),
      );
    }
  }
  return errs;
}

/** Gardener's `isShootReadyForRotationStart`: created (or restored) successfully, or reconciled since. */
function readyForRotationStart(last: LastOperation | undefined): boolean {
  if (!last) return false;
  if ((last.type === 'Create' || last.type === 'Restore') && last.state === 'Succeeded') return true;
  return last.type === 'Reconcile';
}

/** `status.credentials` of a Shoot (any object with that status), empty when it has none. */
export function credentialsOf(obj: KubeObject): ShootCredentials {
  const status = isRecord(obj.status) ? obj.status : {};
  return isRecord(status.credentials) ? (status.credentials as ShootCredentials) : {};
}

export function rotationPhase(credentials: ShootCredentials, kind: RotationKind): CredentialsRotationPhase | undefined {
  return credentials.rotation?.[kind]?.phase;
}

/**
 * The credentials status once the gardenlet takes `operation` on at `now`: the requested
 * rotations Preparing (start) or Completing (complete). Undefined for an operation that is not a
 * rotation. Idempotent: taking the same annotation on again (a crash before it was dropped)
 * changes nothing, and a rotation not in the phase the request needs is left as it is.
 */
export function credentialsAfterTakingOn(
  credentials: ShootCredentials,
  operation: string | undefined,
  now: string,
): ShootCredentials | undefined {
  const request = operation === undefined ? undefined : rotationRequests[operation];
  if (!request) return undefined;
  const rotation = { ...credentials.rotation };
  for (const kind of request.kinds) {
    const current = rotation[kind] ?? {};
    if (request.step === 'start' && (current.phase === undefined || current.phase === 'Completed')) {
      const { lastInitiationFinishedTime: _finished, lastCompletionTriggeredTime: _triggered, ...kept } = current;
      rotation[kind] = { ...kept, phase: 'Preparing', lastInitiationTime: now };
    }
    if (request.step === 'complete' && current.phase === 'Prepared') {
      rotation[kind] = { ...current, phase: 'Completing', lastCompletionTriggeredTime: now };
    }
  }
  return { ...credentials, rotation };
}

/**
 * The credentials status after a reconcile flow succeeded at `now`, as Gardener's gardenlet moves
 * it on: Preparing → Prepared (`lastInitiationFinishedTime`), Completing → Completed
 * (`lastCompletionTime`; the initiation's finish and the completion's trigger time go).
 */
export function credentialsAfterSuccess(credentials: ShootCredentials, now: string): ShootCredentials {
  if (!rotationInProgress(credentials)) return credentials;
  const rotation = { ...credentials.rotation };
  for (const kind of ROTATION_KINDS) {
    const current = rotation[kind];
    if (current?.phase === 'Preparing') {
      rotation[kind] = { ...current, phase: 'Prepared', lastInitiationFinishedTime: now };
    }
    if (current?.phase === 'Completing') {
      const { lastInitiationFinishedTime: _finished, lastCompletionTriggeredTime: _triggered, ...kept } = current;
      rotation[kind] = { ...kept, phase: 'Completed', lastCompletionTime: now };
    }
  }
  return { ...credentials, rotation };
}

/**
 * `after` as a merge patch of `status.credentials` over `before`: a field `after` no longer has
 * is sent as null, so the stored status loses it (the type says what the status holds afterwards).
 */
export function credentialsMergePatch(before: ShootCredentials, after: ShootCredentials): ShootCredentials {
  const rotation: Record<string, unknown> = {};
  for (const kind of ROTATION_KINDS) {
    const next = after.rotation?.[kind];
    if (!next) continue;
    const dropped = Object.keys(before.rotation?.[kind] ?? {}).filter((key) => !(key in next));
    rotation[kind] = { ...Object.fromEntries(dropped.map((key) => [key, null])), ...next };
  }
  return { rotation } as ShootCredentials;
}

/** A rotation is Preparing or Completing: the reconcile flow has work to do. */
export function rotationInProgress(credentials: ShootCredentials): boolean {
  return ROTATION_KINDS.some((kind) => {
    const phase = rotationPhase(credentials, kind);
    return phase === 'Preparing' || phase === 'Completing';
  });
}
