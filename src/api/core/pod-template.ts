/**
 * Pod templates as workloads carry them (`spec.template`): their defaults and checks, and the
 * rule every controller with a label selector shares — the selector is given, not empty, valid,
 * and selects the template's own labels (k8s ValidatePodTemplateSpecForReplicaSet and the
 * selector checks of apps/validation).
 */
import { FieldError } from '../errors.js';
import { isEmptySelector, type LabelSelector, selectorMatches, validateLabelSelector } from '../label-selector.js';
import { type Condition, isRecord, type ObjectMeta } from '../meta.js';
import { validateAnnotations, validateLabels } from '../validation.js';
import { defaultPodSpec, type PodSpec, validatePodSpec } from './pod-spec.js';

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec & Record<string, unknown>;
}

/** What the owners of a pod template share: ReplicationControllers and the apps/v1 workloads. */
export interface WorkloadSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

/** The template at `holder.template`, when there is one. */
export function templateIn(holder: unknown): PodTemplateSpec | undefined {
  return isRecord(holder) && isRecord(holder.template) ? (holder.template as PodTemplateSpec) : undefined;
}

/** Kubernetes' defaults of a template's pod spec, in place. */
export function defaultTemplate(template: PodTemplateSpec | undefined): void {
  if (template && isRecord(template.spec)) defaultPodSpec(template.spec);
}

/** A template's problems: labels, annotations and the pod spec with the owner's restart policies. */
export function validateTemplate(
  template: PodTemplateSpec | undefined,
  path: string,
  restartPolicies: readonly string[],
): FieldError[] {
  if (!template) return [FieldError.required(path)];
  return [
    ...validateLabels(template.metadata?.labels, `${path}.metadata.labels`),
    ...validateAnnotations(template.metadata?.annotations, `${path}.metadata.annotations`),
    ...validatePodSpec(template.spec, `${path}.spec`, { restartPolicies }),
  ];
}

/**
 * The selector of a controller: required, not empty, valid, and matching the template's labels.
 * `kind` names the owner in the empty-selector message (`deployment`).
 */
export function validateSelectorForTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  path: string,
  kind: string,
): FieldError[] {
  if (!selector) return [FieldError.required(`${path}.selector`)];
  if (isEmptySelector(selector)) {
    return [FieldError.invalid(`${path}.selector`, selector, `empty selector is invalid for ${kind}`)];
  }
  const errs = validateLabelSelector(selector, `${path}.selector`);
  const labels = template?.metadata?.labels ?? {};
  if (errs.length === 0 && template && !selectorMatches(selector, labels)) {
    errs.push(
      FieldError.invalid(`${path}.template.metadata.labels`, labels, '`selector` does not match template `labels`'),
    );
  }
  return errs;
}
