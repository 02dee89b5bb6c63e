/**
 * The CustomResourceDefinition kind's behaviour (Kubernetes' apiextensions strategy): defaults
 * and checks (src/api/apiextensions/crd-validation.ts) plus what only the server can check —
 * each version's patterns are RE2, its CEL rules compile, its printer columns' JSONPaths parse; `status.storedVersions` records every storage version ever used; deletion
 * marks the CRD Terminating and holds it with `customresourcecleanup.apiextensions.k8s.io` until
 * the CRD controller has deleted its custom resources. `NamesAccepted` and `Established` are the
 * controller's (src/shoot/crd-controller.ts), once the API is served.
 */
import { crdCleanupFinalizer, crdSpecOf, type JSONSchemaProps, storageVersionOf } from '../../api/apiextensions/crd.js';
import { defaultCrd, validateCrd, validateCrdUpdate } from '../../api/apiextensions/crd-validation.js';
import { FieldError } from '../../api/errors.js';
import { isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { KindBehaviour } from '../builtin/builder.js';
import { celCompileErrors } from './cel-rules.js';
import { parseJsonPath } from './json-path.js';
import { patternErrors } from './schema-validator.js';

/** What the server finds wrong with the versions beyond the CRD's own checks. */
function compileErrors(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  for (const [i, version] of (crdSpecOf(obj).versions ?? []).entries()) {
    const path = `spec.versions[${i}]`;
    const schema = version.schema?.openAPIV3Schema as JSONSchemaProps | undefined;
    if (isRecord(schema)) {
      errors.push(...patternErrors(schema, `${path}.schema.openAPIV3Schema`));
      errors.push(...celCompileErrors(schema, `${path}.schema.openAPIV3Schema`));
    }
    for (const [j, column] of (version.additionalPrinterColumns ?? []).entries()) {
      try {
        parseJsonPath(column.jsonPath ?? '');
      } catch (err) {
        errors.push(
          FieldError.invalid(
            `${path}.additionalPrinterColumns[${j}].jsonPath`,
            column.jsonPath,
            (err as Error).message,
          ),
        );
      }
    }
  }
  return errors;
}

function statusOf(obj: KubeObject): Record<string, unknown> {
  if (!isRecord(obj.status)) obj.status = {};
  return obj.status as Record<string, unknown>;
}

/** Adds the current storage version to `status.storedVersions` (objects may be kept in it from now on). */
function recordStorageVersion(obj: KubeObject): void {
  const status = statusOf(obj);
  const stored = Array.isArray(status.storedVersions) ? (status.storedVersions as string[]) : [];
  const storage = storageVersionOf(crdSpecOf(obj));
  status.storedVersions = stored.includes(storage) || !storage ? stored : [...stored, storage];
}

export const customResourceDefinition: KindBehaviour = {
  defaults: defaultCrd,
  initialStatus: { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: [] },
  prepareForCreate: recordStorageVersion,
  prepareForUpdate: recordStorageVersion,
  validate(obj) {
    const errors = validateCrd(obj);
    return errors.length > 0 ? errors : compileErrors(obj);
  },
  validateUpdate(obj, old) {
    const errors = validateCrdUpdate(obj, old);
    return errors.length > 0 ? errors : compileErrors(obj);
  },
  prepareForDelete(obj) {
    const status = statusOf(obj);
    const conditions = Array.isArray(status.conditions) ? (status.conditions as { type: string }[]) : [];
    status.conditions = [
      ...conditions.filter((c) => c.type !== 'Terminating'),
      {
        type: 'Terminating',
        status: 'True',
        lastTransitionTime: nowTimestamp(),
        reason: 'InstanceDeletionPending',
        message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
      },
    ];
  },
  finalizerOnDelete: crdCleanupFinalizer,
  // `kubectl get crd`: NAME and CREATED AT, the timestamp itself, as Kubernetes prints CRDs.
  columns: [
    {
      name: 'Created At',
      type: 'date',
      description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
      cell: (obj) => obj.metadata.creationTimestamp ?? null,
    },
  ],
  omitAgeColumn: true,
};
