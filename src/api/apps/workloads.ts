/**
 * The apps/v1 workloads — Deployment, ReplicaSet, StatefulSet, DaemonSet — as the API server
 * treats them (apps/v1 defaults.go, apps/validation): defaults users see in `kubectl get -o
 * yaml` (replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds
 * 600, the template's pod spec defaults), a selector that is given and matches the template, pods
 * that restart Always, counts that are not negative, and the fields that are fixed once created:
 * the selector of each, and for a StatefulSet everything but replicas, ordinals, template,
 * updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds.
 */

import {
  defaultTemplate,
  templateIn,
  validateSelectorForTemplate,
  validateTemplate,
  type WorkloadSpec,
  type WorkloadStatus,
} from '../core/pod-template.js';
import { FieldError } from '../errors.js';
import { asLabelSelector } from '../label-selector.js';
import { deepCopy, isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { semanticEqual } from '../validation.js';

// The objects as the workload controllers read them, typed as far as they use them. Their
// references carry no guards: the API server validated every object already, and a controller
// reads only the fields named here (everything else passes through untouched).

export interface ReplicaSet extends KubeObject {
  spec?: WorkloadSpec;
  status?: WorkloadStatus & { fullyLabeledReplicas?: number };
}

export interface Deployment extends KubeObject {
  spec?: WorkloadSpec & {
    paused?: boolean;
    progressDeadlineSeconds?: number;
    strategy?: {
      type?: 'RollingUpdate' | 'Recreate';
      rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
    };
  };
  status?: WorkloadStatus & { updatedReplicas?: number; unavailableReplicas?: number };
}

export interface StatefulSet extends KubeObject {
  spec?: WorkloadSpec & {
    serviceName?: string;
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
    volumeClaimTemplates?: KubeObject[];
    persistentVolumeClaimRetentionPolicy?: { whenDeleted?: 'Retain' | 'Delete'; whenScaled?: 'Retain' | 'Delete' };
  };
  status?: WorkloadStatus & {
    currentReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

export interface DaemonSet extends KubeObject {
  spec?: Omit<WorkloadSpec, 'replicas'> & {
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
    };
  };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberMisscheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
    updatedNumberScheduled?: number;
    collisionCount?: number;
  };
}

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

const apps = { group: 'apps', version: 'v1', namespaced: true } as const;

export const replicaSetResource = resourceRef<ReplicaSet>({ ...apps, kind: 'ReplicaSet', plural: 'replicasets' });
export const deploymentResource = resourceRef<Deployment>({ ...apps, kind: 'Deployment', plural: 'deployments' });
export const statefulSetResource = resourceRef<StatefulSet>({ ...apps, kind: 'StatefulSet', plural: 'statefulsets' });
export const daemonSetResource = resourceRef<DaemonSet>({ ...apps, kind: 'DaemonSet', plural: 'daemonsets' });
export const controllerRevisionResource = resourceRef<ControllerRevision>({
  ...apps,
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
});

const always = ['Always'] as const;

const unset = (value: unknown): boolean => value === undefined || value === null;

function specOf(obj: KubeObject): Record<string, unknown> {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as Record<string, unknown>;
}

/** `spec.<field>` at least `min` when set. */
export function atLeast(spec: Record<string, unknown>, field: string, min: number, path = 'spec'): FieldError[] {
  const value = spec[field];
  if (typeof value !== 'number' || value >= min) return [];
  const message = min === 0 ? 'must be greater than or equal to 0' : `must be greater than or equal to ${min}`;
  return [FieldError.invalid(`${path}.${field}`, value, message)];
}

/** The checks every selector-and-template workload shares. */
function workloadErrors(obj: KubeObject, kind: string): FieldError[] {
  const spec = specOf(obj);
  const template = templateIn(spec);
  return [
    ...validateSelectorForTemplate(asLabelSelector(spec.selector), template, 'spec', kind),
    ...validateTemplate(template, 'spec.template', always),
    ...atLeast(spec, 'replicas', 0),
    ...atLeast(spec, 'minReadySeconds', 0),
    ...atLeast(spec, 'revisionHistoryLimit', 0),
  ];
}

/** The selector is fixed once created (apps/v1). */
function selectorImmutable(obj: KubeObject, old: KubeObject): FieldError[] {
  const selector = specOf(obj).selector;
  return semanticEqual(selector, specOf(old).selector) ? [] : [FieldError.immutable('spec.selector', selector)];
}

const percent = /^[0-9]+%$/;

/** An int-or-percent (maxSurge, maxUnavailable): not negative, a percent string, at most 100% when `capped`. */
function intOrPercentErrors(value: unknown, path: string, capped: boolean): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number')
    return value < 0 ? [FieldError.invalid(path, value, 'must be greater than or equal to 0')] : [];
  const text = String(value);
  if (!percent.test(text)) {
    return [
      FieldError.invalid(
        path,
        text,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    ];
  }
  return capped && Number.parseInt(text, 10) > 100
    ? [FieldError.invalid(path, text, 'must not be greater than 100%')]
    : [];
}

function isZero(value: unknown): boolean {
  return value === 0 || value === '0%';
}

/** `spec[field]` defaulted to a RollingUpdate strategy whose rollingUpdate gets `rolling`'s values where unset. */
function defaultRollingStrategy(spec: Record<string, unknown>, field: string, rolling: Record<string, unknown>): void {
  if (!isRecord(spec[field])) spec[field] = {};
  const strategy = spec[field] as Record<string, unknown>;
  if (unset(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type !== 'RollingUpdate') return;
  if (!isRecord(strategy.rollingUpdate)) strategy.rollingUpdate = {};
  const target = strategy.rollingUpdate as Record<string, unknown>;
  for (const [key, value] of Object.entries(rolling)) if (unset(target[key])) target[key] = value;
}

/** maxUnavailable (at most 100%) and maxSurge of a rolling update, not both 0. */
function surgeErrors(rolling: Record<string, unknown>, path: string): FieldError[] {
  const errs = [
    ...intOrPercentErrors(rolling.maxUnavailable, `${path}.maxUnavailable`, true),
    ...intOrPercentErrors(rolling.maxSurge, `${path}.maxSurge`, false),
  ];
  if (isZero(rolling.maxUnavailable) && isZero(rolling.maxSurge)) {
    errs.push(
      FieldError.invalid(`${path}.maxUnavailable`, rolling.maxUnavailable, 'may not be 0 when `maxSurge` is 0'),
    );
  }
  return errs;
}

// ---- Deployment ----

export function defaultDeployment(obj: KubeObject): void {
  const spec = specOf(obj);
  if (unset(spec.replicas)) spec.replicas = 1;
  defaultRollingStrategy(spec, 'strategy', { maxUnavailable: '25%', maxSurge: '25%' });
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (unset(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
  defaultTemplate(templateIn(spec));
}

export function validateDeployment(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs = workloadErrors(obj, 'deployment');
  const strategy = isRecord(spec.strategy) ? spec.strategy : {};
  const rolling = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : undefined;
  if (strategy.type === 'Recreate' && rolling) {
    errs.push(
      FieldError.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"),
    );
  }
  if (rolling) errs.push(...surgeErrors(rolling, 'spec.strategy.rollingUpdate'));
  const deadline = spec.progressDeadlineSeconds;
  if (typeof deadline === 'number') {
    errs.push(...atLeast(spec, 'progressDeadlineSeconds', 0));
    if (deadline <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) {
      errs.push(FieldError.invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateDeploymentUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateDeployment(obj), ...selectorImmutable(obj, old)];
}

// ---- ReplicaSet ----

export function defaultReplicaSet(obj: KubeObject): void {
  const spec = specOf(obj);
  if (unset(spec.replicas)) spec.replicas = 1;
  defaultTemplate(templateIn(spec));
}

export function validateReplicaSet(obj: KubeObject): FieldError[] {
  return workloadErrors(obj, 'replicaset');
}

export function validateReplicaSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateReplicaSet(obj), ...selectorImmutable(obj, old)];
}

// ---- StatefulSet ----

export function defaultStatefulSet(obj: KubeObject): void {
  const spec = specOf(obj);
  if (unset(spec.replicas)) spec.replicas = 1;
  if (unset(spec.podManagementPolicy)) spec.podManagementPolicy = 'OrderedReady';
  defaultRollingStrategy(spec, 'updateStrategy', { partition: 0 });
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (!isRecord(spec.persistentVolumeClaimRetentionPolicy)) spec.persistentVolumeClaimRetentionPolicy = {};
  const retention = spec.persistentVolumeClaimRetentionPolicy as Record<string, unknown>;
  if (unset(retention.whenDeleted)) retention.whenDeleted = 'Retain';
  if (unset(retention.whenScaled)) retention.whenScaled = 'Retain';
  for (const claim of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
    if (!isRecord(claim)) continue;
    if (!isRecord(claim.spec)) claim.spec = {};
    const claimSpec = claim.spec as Record<string, unknown>;
    if (unset(claimSpec.volumeMode)) claimSpec.volumeMode = 'Filesystem';
    if (!isRecord(claim.status)) claim.status = { phase: 'Pending' };
  }
  defaultTemplate(templateIn(spec));
}

export function validateStatefulSet(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs = workloadErrors(obj, 'statefulset');
  const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
  if (strategy.type === 'OnDelete' && isRecord(strategy.rollingUpdate)) {
    errs.push(
      FieldError.invalid(
        'spec.updateStrategy.rollingUpdate',
        strategy.rollingUpdate,
        "only allowed for updateStrategy 'RollingUpdate'",
      ),
    );
  }
  if (isRecord(strategy.rollingUpdate)) {
    errs.push(...atLeast(strategy.rollingUpdate, 'partition', 0, 'spec.updateStrategy.rollingUpdate'));
  }
  return errs;
}

const statefulSetMutable = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

export function validateStatefulSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateStatefulSet(obj);
  const fixed = (o: KubeObject) => {
    const copy = deepCopy(specOf(o));
    for (const field of statefulSetMutable) delete copy[field];
    return copy;
  };
  if (!semanticEqual(fixed(obj), fixed(old))) {
    errs.push(
      FieldError.forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

// ---- DaemonSet ----

export function defaultDaemonSet(obj: KubeObject): void {
  const spec = specOf(obj);
  defaultRollingStrategy(spec, 'updateStrategy', { maxUnavailable: 1, maxSurge: 0 });
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  defaultTemplate(templateIn(spec));
}

export function validateDaemonSet(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs = workloadErrors(obj, 'daemonset');
  const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
  const rolling = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : undefined;
  if (rolling) errs.push(...surgeErrors(rolling, 'spec.updateStrategy.rollingUpdate'));
  return errs;
}

export function validateDaemonSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateDaemonSet(obj), ...selectorImmutable(obj, old)];
}
