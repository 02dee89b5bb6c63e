/**
 * The objects the workload controllers read and write, typed as far as they use them: pods and
 * their templates, the apps/v1 workloads, ControllerRevisions and PersistentVolumeClaims. Their
 * references carry no guards: the API server validated every object already, and a controller
 * reads only the fields named here (everything else passes through untouched).
 */
import type { PodStatus } from '../../../api/core/pod.js';
import type { PodSpec } from '../../../api/core/pod-spec.js';
import type { LabelSelector } from '../../../api/label-selector.js';
import type { Condition, KubeObject, ObjectMeta } from '../../../api/meta.js';
import { resourceRef } from '../../../api/resource-ref.js';

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec & Record<string, unknown>;
}

export interface Pod extends KubeObject {
  spec?: PodSpec & { nodeName?: string } & Record<string, unknown>;
  status?: Omit<PodStatus, 'conditions'> & { startTime?: string; conditions?: PodCondition[] };
}

export interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  lastTransitionTime?: string;
}

/** What ReplicaSets, ReplicationControllers, Deployments, StatefulSets and DaemonSets share. */
export interface WorkloadSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplate;
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

const core = { group: '', version: 'v1', namespaced: true } as const;
const apps = { group: 'apps', version: 'v1', namespaced: true } as const;

export const podResource = resourceRef<Pod>({ ...core, kind: 'Pod', plural: 'pods' });
export const persistentVolumeClaimResource = resourceRef({
  ...core,
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
});
export const replicationControllerResource = resourceRef<ReplicaSet>({
  ...core,
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
});
export const replicaSetResource = resourceRef<ReplicaSet>({ ...apps, kind: 'ReplicaSet', plural: 'replicasets' });
export const deploymentResource = resourceRef<Deployment>({ ...apps, kind: 'Deployment', plural: 'deployments' });
export const statefulSetResource = resourceRef<StatefulSet>({ ...apps, kind: 'StatefulSet', plural: 'statefulsets' });
export const daemonSetResource = resourceRef<DaemonSet>({ ...apps, kind: 'DaemonSet', plural: 'daemonsets' });
export const controllerRevisionResource = resourceRef<ControllerRevision>({
  ...apps,
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
});
