/**
 * ReplicationController (v1): the older ReplicaSet, whose selector is a plain label map. As the
 * API server does (core/v1 SetDefaults_ReplicationController): the selector and the object's
 * labels default to the template's labels, replicas to 1; the selector must select the
 * template's labels and the pods restart Always.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { validateLabels } from '../validation.js';
import {
  defaultTemplate,
  templateIn,
  validateTemplate,
  type WorkloadSpec,
  type WorkloadStatus,
} from './pod-template.js';

/** As the ReplicationManager reads it: the shape of a ReplicaSet (apps/workloads.ts). */
export interface ReplicationController extends KubeObject {
  spec?: WorkloadSpec;
  status?: WorkloadStatus & { fullyLabeledReplicas?: number };
}

export const replicationControllerResource = resourceRef<ReplicationController>({
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  namespaced: true,
});

function specOf(obj: KubeObject): Record<string, unknown> {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as Record<string, unknown>;
}

export function defaultReplicationController(obj: KubeObject): void {
  const spec = specOf(obj);
  const labels = templateIn(spec)?.metadata?.labels;
  if (labels && Object.keys(labels).length > 0) {
    if (!isRecord(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    if (Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...labels };
  }
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  defaultTemplate(templateIn(spec));
}

export function validateReplicationController(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const template = templateIn(spec);
  const selector = isRecord(spec.selector) ? (spec.selector as Record<string, string>) : {};
  const errs = [
    ...validateLabels(selector, 'spec.selector'),
    ...validateTemplate(template, 'spec.template', ['Always']),
  ];
  if (Object.keys(selector).length === 0) errs.push(FieldError.required('spec.selector'));
  const labels = template?.metadata?.labels ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
    errs.push(
      FieldError.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
    );
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    errs.push(FieldError.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  return errs;
}
