/**
 * CustomResourceDefinition defaults and checks (Kubernetes' apiextensions validation, the fields
 * the server acts on): the name is `<plural>.<group>`, names are DNS labels, the scope is
 * Namespaced or Cluster, exactly one version is stored and at least one served, every version has
 * a structural schema (structural-schema.ts), and the subresources and printer columns are
 * well-formed. The kind's OpenAPI schema has already checked the fields' types.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { isDns1035Label, isDns1123Subdomain } from '../validation.js';
import { type CrdSpec, crdSpecOf } from './crd.js';
import { structuralErrors } from './structural-schema.js';

/** The annotation a CRD in a Kubernetes group (`*.k8s.io`, `*.kubernetes.io`) needs. */
const approvalAnnotation = 'api-approved.kubernetes.io';

function isProtectedGroup(group: string): boolean {
  return (
    group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io')
  );
}

/** Kubernetes' CRD defaults: the singular and listKind from the kind, conversion None. */
export function defaultCrd(obj: KubeObject): void {
  if (!isRecord(obj.spec)) return;
  const spec = obj.spec as Partial<CrdSpec>;
  if (isRecord(spec.names) && typeof spec.names.kind === 'string') {
    spec.names.singular ??= spec.names.kind.toLowerCase();
    spec.names.listKind ??= `${spec.names.kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
}

export function validateCrd(obj: KubeObject): FieldError[] {
  const spec = crdSpecOf(obj);
  const errors: FieldError[] = [];
  const group = spec.group ?? '';
  const plural = spec.names?.plural ?? '';
  if (obj.metadata.name !== `${plural}.${group}`) {
    errors.push(FieldError.invalid('metadata.name', obj.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (!group) errors.push(FieldError.required('spec.group'));
  else if (isDns1123Subdomain(group).length > 0 || !group.includes('.')) {
    errors.push(FieldError.invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  errors.push(...namesErrors(spec));
  if (isProtectedGroup(group) && !obj.metadata.annotations?.[approvalAnnotation]) {
    errors.push(
      FieldError.required(
        `metadata.annotations[${approvalAnnotation}]`,
        `protected groups must have approval annotation "${approvalAnnotation}", see https://github.com/kubernetes/enhancements/pull/1111`,
      ),
    );
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errors.push(FieldError.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  }
  errors.push(...versionsErrors(spec));
  const strategy = spec.conversion?.strategy ?? 'None';
  if (strategy !== 'None') {
    // Webhook conversion needs a conversion webhook this server cannot call.
    errors.push(FieldError.notSupported('spec.conversion.strategy', strategy, ['None']));
  }
  if (spec.preserveUnknownFields === true) {
    errors.push(
      FieldError.invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'),
    );
  }
  return errors;
}

/** Checks of an update: the scope stays, and no version still stored in etcd may go. */
export function validateCrdUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errors = validateCrd(obj);
  const spec = crdSpecOf(obj);
  const oldSpec = crdSpecOf(old);
  if (spec.scope !== oldSpec.scope) errors.push(FieldError.immutable('spec.scope', spec.scope));
  const stored = isRecord(old.status) && Array.isArray(old.status.storedVersions) ? old.status.storedVersions : [];
  for (const version of stored as string[]) {
    if (!(spec.versions ?? []).some((v) => v.name === version)) {
      errors.push(FieldError.invalid('status.storedVersions[0]', version, 'must appear in spec.versions'));
    }
  }
  return errors;
}

function namesErrors(spec: CrdSpec): FieldError[] {
  const errors: FieldError[] = [];
  const names = spec.names ?? ({} as CrdSpec['names']);
  const label = (path: string, value: string | undefined) => {
    if (!value) errors.push(FieldError.required(path));
    else if (isDns1035Label(value).length > 0 || value !== value.toLowerCase()) {
      errors.push(FieldError.invalid(path, value, isDns1035Label(value)[0] ?? 'must be lowercase'));
    }
  };
  label('spec.names.plural', names.plural);
  label('spec.names.singular', names.singular);
  if (!names.kind) errors.push(FieldError.required('spec.names.kind'));
  else if (isDns1035Label(names.kind.toLowerCase()).length > 0) {
    errors.push(
      FieldError.invalid(
        'spec.names.kind',
        names.kind,
        'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?',
      ),
    );
  }
  if (!names.listKind) errors.push(FieldError.required('spec.names.listKind'));
  else if (names.listKind === names.kind) {
    errors.push(FieldError.invalid('spec.names.listKind', names.listKind, 'kind and listKind may not be the same'));
  }
  for (const [i, short] of (names.shortNames ?? []).entries()) label(`spec.names.shortNames[${i}]`, short);
  for (const [i, category] of (names.categories ?? []).entries()) label(`spec.names.categories[${i}]`, category);
  return errors;
}

function versionsErrors(spec: CrdSpec): FieldError[] {
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0)
    return [FieldError.required('spec.versions', 'must have exactly one version marked as storage version')];
  const errors: FieldError[] = [];
  if (versions.filter((v) => v.storage === true).length !== 1) {
    errors.push(
      FieldError.invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    );
  }
  if (!versions.some((v) => v.served === true)) {
    errors.push(
      FieldError.invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have at least one served version',
      ),
    );
  }
  const seen = new Set<string>();
  for (const [i, version] of versions.entries()) {
    const path = `spec.versions[${i}]`;
    if (!version.name) errors.push(FieldError.required(`${path}.name`));
    else if (isDns1035Label(version.name).length > 0) {
      errors.push(FieldError.invalid(`${path}.name`, version.name, isDns1035Label(version.name)[0]!));
    } else if (seen.has(version.name)) errors.push(FieldError.duplicate(`${path}.name`, version.name));
    seen.add(version.name);
    errors.push(...structuralErrors(version.schema?.openAPIV3Schema, `${path}.schema.openAPIV3Schema`));
    const scale = version.subresources?.scale;
    if (scale) {
      const scalePath = `${path}.subresources.scale`;
      if (!/^\.spec\.[^[\]]+$/.test(scale.specReplicasPath ?? '')) {
        errors.push(
          FieldError.invalid(
            `${scalePath}.specReplicasPath`,
            scale.specReplicasPath,
            'should be a json path under .spec',
          ),
        );
      }
      if (!/^\.status\.[^[\]]+$/.test(scale.statusReplicasPath ?? '')) {
        errors.push(
          FieldError.invalid(
            `${scalePath}.statusReplicasPath`,
            scale.statusReplicasPath,
            'should be a json path under .status',
          ),
        );
      }
      if (scale.labelSelectorPath !== undefined && !/^\.(spec|status)\.[^[\]]+$/.test(scale.labelSelectorPath)) {
        errors.push(
          FieldError.invalid(
            `${scalePath}.labelSelectorPath`,
            scale.labelSelectorPath,
            'should be a json path under either .spec or .status',
          ),
        );
      }
    }
    for (const [j, column] of (version.additionalPrinterColumns ?? []).entries()) {
      const columnPath = `${path}.additionalPrinterColumns[${j}]`;
      if (!column.name) errors.push(FieldError.required(`${columnPath}.name`));
      if (!['integer', 'number', 'string', 'boolean', 'date'].includes(column.type)) {
        errors.push(
          FieldError.notSupported(`${columnPath}.type`, column.type, [
            'integer',
            'number',
            'string',
            'boolean',
            'date',
          ]),
        );
      }
      if (!column.jsonPath) errors.push(FieldError.required(`${columnPath}.jsonPath`));
    }
  }
  return errors;
}
