/**
 * ControllerRegistration (core.gardener.cloud/v1beta1, cluster-scoped): an extension controller
 * an operator registers, with the extension kinds and types it serves (`spec.resources`, e.g.
 * `Worker/local`) and when it is installed on a seed (`spec.deployment.policy`: OnDemand, Always,
 * AlwaysExceptNoShoots; `seedSelector`). Validation and defaults are Gardener's
 * (`pkg/api/core/validation/controllerregistration.go`, `defaults_controllerregistration.go`);
 * `globallyEnabled` is gone from today's Gardener (a tombstone) and is not modelled. Fields of
 * kind `Extension` (lifecycle, autoEnable, …) are stored untouched: Transplant runs no generic
 * extensions.
 */
import { FieldError } from '../errors.js';
import { aBoolean, anObject, aString, listOf, optional, shape } from '../kind-guard.js';
import { type LabelSelector, selectorMatches, validateLabelSelector } from '../label-selector.js';
import { isRecord, type KubeObject } from '../meta.js';
import { optionalArray, optionalObject, semanticEqual } from '../validation.js';
import { gardenerKind } from './common.js';

/** The extension kinds a registration may name (`extensionsv1alpha1.AllExtensionKinds`). */
export const EXTENSION_KINDS = Object.freeze([
  'BackupBucket',
  'BackupEntry',
  'Bastion',
  'ContainerRuntime',
  'ControlPlane',
  'DNSRecord',
  'Extension',
  'Infrastructure',
  'Network',
  'OperatingSystemConfig',
  'SelfHostedShootExposure',
  'Worker',
] as const);

export const DEPLOYMENT_POLICIES = Object.freeze(['OnDemand', 'Always', 'AlwaysExceptNoShoots'] as const);
export type DeploymentPolicy = (typeof DEPLOYMENT_POLICIES)[number];

/** One extension kind and type the controller serves. */
export interface ControllerResource {
  kind: string;
  type: string;
  /** Whether it owns the resource's lifecycle (default true; exactly one primary per kind/type). */
  primary?: boolean;
}

export interface ControllerRegistrationDeployment {
  /** Default OnDemand. */
  policy?: DeploymentPolicy;
  /** Only seeds with these labels get the controller (not allowed for primary controllers). */
  seedSelector?: LabelSelector;
  deploymentRefs?: { name: string }[];
}

export interface ControllerRegistrationSpec {
  resources?: ControllerResource[];
  deployment?: ControllerRegistrationDeployment;
}

export interface ControllerRegistration extends KubeObject {
  spec: ControllerRegistrationSpec;
}

export const { is: isControllerRegistration, resource: controllerRegistrationResource } =
  gardenerKind<ControllerRegistration>(
    { kind: 'ControllerRegistration', plural: 'controllerregistrations', namespaced: false },
    {
      spec: shape<ControllerRegistrationSpec>({
        resources: optional(
          listOf(shape<ControllerResource>({ kind: aString, type: aString, primary: optional(aBoolean) })),
        ),
        deployment: optional(
          shape<ControllerRegistrationDeployment>({
            policy: optional(aString),
            seedSelector: optional(anObject),
            deploymentRefs: optional(listOf(shape({ name: aString }))),
          }),
        ),
      }),
    },
  );

/** `Kind/type`, Gardener's extension id (`gardenerutils.ExtensionsID`). */
export type ExtensionId = `${string}/${string}`;

export function extensionId(kind: string, type: string): ExtensionId {
  return `${kind}/${type}`;
}

/** The kinds/types a registration serves. */
export function registrationServes(registration: ControllerRegistration): ExtensionId[] {
  return (registration.spec.resources ?? []).map((r) => extensionId(r.kind, r.type));
}

/** `spec.deployment.policy`, OnDemand when unset. */
export function deploymentPolicy(registration: ControllerRegistration): DeploymentPolicy {
  return registration.spec.deployment?.policy ?? 'OnDemand';
}

/** Whether the registration's seed selector (none: every seed) selects a seed with `labels`. */
export function registrationSelectsSeed(
  registration: ControllerRegistration,
  labels: Record<string, string> | undefined,
): boolean {
  const selector = registration.spec.deployment?.seedSelector;
  return !selector || selectorMatches(selector, labels);
}

/** Gardener's defaults: `primary: true` on every resource, policy OnDemand once a deployment is given. */
export function defaultControllerRegistration(obj: KubeObject): void {
  const spec = obj.spec;
  if (!isRecord(spec)) return;
  if (Array.isArray(spec.resources)) {
    for (const resource of spec.resources)
      if (isRecord(resource) && resource.primary === undefined) resource.primary = true;
  }
  if (isRecord(spec.deployment) && spec.deployment.policy === undefined) spec.deployment.policy = 'OnDemand';
}

export function validateControllerRegistration(obj: KubeObject): FieldError[] {
  const spec = obj.spec;
  if (spec === undefined || spec === null) return [];
  if (!isRecord(spec)) return [FieldError.typeInvalid('spec', spec, 'must be an object')];
  return [...validateResources(spec.resources), ...validateDeployment(spec.deployment, spec.resources)];
}

function validateResources(resources: unknown): FieldError[] {
  const errs = optionalArray(resources, 'spec.resources');
  if (!Array.isArray(resources)) return errs;
  const seen = new Set<string>();
  resources.forEach((resource, i) => {
    const at = `spec.resources[${i}]`;
    if (!isRecord(resource)) {
      errs.push(FieldError.typeInvalid(at, resource, 'must be an object'));
      return;
    }
    const { kind, type } = resource;
    if (typeof kind !== 'string' || kind === '') errs.push(FieldError.required(`${at}.kind`, 'field is required'));
    else if (!(EXTENSION_KINDS as readonly string[]).includes(kind)) {
      errs.push(FieldError.notSupported(`${at}.kind`, kind, [...EXTENSION_KINDS].sort()));
    }
    if (typeof type !== 'string' || type === '') errs.push(FieldError.required(`${at}.type`, 'field is required'));
    if (resource.primary !== undefined && typeof resource.primary !== 'boolean') {
      errs.push(FieldError.typeInvalid(`${at}.primary`, resource.primary, 'must be a boolean'));
    }
    const id = `${String(kind)}/${String(type)}`;
    if (seen.has(id)) errs.push(FieldError.duplicate(at, id));
    seen.add(id);
  });
  return errs;
}

function validateDeployment(deployment: unknown, resources: unknown): FieldError[] {
  const errs = optionalObject(deployment, 'spec.deployment');
  if (!isRecord(deployment)) return errs;
  const { policy, seedSelector, deploymentRefs } = deployment;
  if (policy !== undefined && !(DEPLOYMENT_POLICIES as readonly unknown[]).includes(policy)) {
    errs.push(FieldError.notSupported('spec.deployment.policy', policy, [...DEPLOYMENT_POLICIES].sort()));
  }
  if (seedSelector !== undefined && seedSelector !== null) {
    const primary = Array.isArray(resources) && resources.some((r) => !isRecord(r) || r.primary !== false);
    if (primary) {
      errs.push(
        FieldError.forbidden(
          'spec.deployment.seedSelector',
          'specifying a seed selector is not allowed when controlling resources primarily',
        ),
      );
    }
    if (isRecord(seedSelector)) {
      errs.push(...validateLabelSelector(seedSelector as LabelSelector, 'spec.deployment.seedSelector'));
    } else errs.push(FieldError.typeInvalid('spec.deployment.seedSelector', seedSelector, 'must be an object'));
  }
  errs.push(...optionalArray(deploymentRefs, 'spec.deployment.deploymentRefs'));
  if (Array.isArray(deploymentRefs)) {
    if (deploymentRefs.length > 1) {
      errs.push(FieldError.forbidden('spec.deployment.deploymentRefs', 'only one deployment reference is allowed'));
    }
    deploymentRefs.forEach((ref, i) => {
      if (!isRecord(ref) || typeof ref.name !== 'string' || ref.name === '') {
        errs.push(FieldError.required(`spec.deployment.deploymentRefs[${i}].name`, 'must not be empty'));
      }
    });
  }
  return errs;
}

/** Gardener's update rules: `primary` of a kind/type is immutable; nothing changes once deleting. */
export function validateControllerRegistrationUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  if (obj.metadata.deletionTimestamp && !semanticEqual(obj.spec, old.spec)) {
    return [FieldError.forbidden('spec', 'cannot update controller registration spec if deletion timestamp is set')];
  }
  const errs = validateControllerRegistration(obj);
  const oldPrimary = new Map<string, unknown>();
  for (const r of resourcesOf(old)) oldPrimary.set(`${String(r.kind)}/${String(r.type)}`, r.primary);
  resourcesOf(obj).forEach((r, i) => {
    const id = `${String(r.kind)}/${String(r.type)}`;
    if (oldPrimary.has(id) && !semanticEqual(r.primary, oldPrimary.get(id))) {
      errs.push(FieldError.immutable(`spec.resources[${i}].primary`, r.primary));
    }
  });
  return errs;
}

function resourcesOf(obj: KubeObject): Record<string, unknown>[] {
  const resources = isRecord(obj.spec) ? obj.spec.resources : undefined;
  return Array.isArray(resources) ? resources.filter(isRecord) : [];
}
