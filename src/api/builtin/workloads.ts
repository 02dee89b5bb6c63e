/**
 * The workload groups of Kubernetes 1.31: apps, batch, autoscaling and policy. Their resources
 * that `kubectl get all` lists carry the `all` category; Deployment, ReplicaSet and StatefulSet
 * have a `scale` subresource (an autoscaling/v1 Scale). autoscaling serves HorizontalPodAutoscaler
 * in v2 (preferred, and how it is stored) and in v1, what `kubectl autoscale` of 1.31 writes.
 */
import { type BuiltinResource, groupVersion, NAMESPACED, scale, status } from './resource.js';

const apps = groupVersion('apps', 'v1');
const batch = groupVersion('batch', 'v1');
const autoscalingV2 = groupVersion('autoscaling', 'v2');
const autoscalingV1 = groupVersion('autoscaling', 'v1');
const policy = groupVersion('policy', 'v1');

const all = ['all'];
const hpa = { shortNames: ['hpa'], categories: all, subresources: [status] };

export const workloadResources: readonly BuiltinResource[] = Object.freeze([
  apps('ControllerRevision', 'controllerrevisions', NAMESPACED),
  apps('DaemonSet', 'daemonsets', NAMESPACED, { shortNames: ['ds'], categories: all, subresources: [status] }),
  apps('Deployment', 'deployments', NAMESPACED, {
    shortNames: ['deploy'],
    categories: all,
    subresources: [scale, status],
  }),
  apps('ReplicaSet', 'replicasets', NAMESPACED, { shortNames: ['rs'], categories: all, subresources: [scale, status] }),
  apps('StatefulSet', 'statefulsets', NAMESPACED, {
    shortNames: ['sts'],
    categories: all,
    subresources: [scale, status],
  }),
  autoscalingV2('HorizontalPodAutoscaler', 'horizontalpodautoscalers', NAMESPACED, hpa),
  autoscalingV1('HorizontalPodAutoscaler', 'horizontalpodautoscalers', NAMESPACED, hpa),
  batch('CronJob', 'cronjobs', NAMESPACED, { shortNames: ['cj'], categories: all, subresources: [status] }),
  batch('Job', 'jobs', NAMESPACED, { categories: all, subresources: [status] }),
  policy('PodDisruptionBudget', 'poddisruptionbudgets', NAMESPACED, { shortNames: ['pdb'], subresources: [status] }),
]);
