/**
 * HorizontalPodAutoscaler in its two served versions (k8s pkg/apis/autoscaling/v1/conversion.go):
 * autoscaling/v2 is how it is stored; autoscaling/v1 — what `kubectl autoscale` of 1.31 writes —
 * has only a CPU utilization target. Converting keeps everything: what v1 cannot say (other
 * metrics, behavior, current metrics, conditions) travels in the annotations Kubernetes uses for
 * it, and comes back when the object is converted back.
 */
import { deepCopy, isRecord, type KubeObject } from '../meta.js';

const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return isRecord(value) ? value : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The target CPU utilization of a v2 metric list, and the metrics besides it. */
function splitCpu(metrics: Json[], target: 'target' | 'current'): { cpu?: number; others: Json[] } {
  let cpu: number | undefined;
  const others: Json[] = [];
  for (const metric of metrics) {
    const resource = record(metric.resource);
    const value = record(resource[target]).averageUtilization;
    const isCpu = metric.type === 'Resource' && resource.name === 'cpu' && typeof value === 'number';
    if (isCpu && cpu === undefined && (target === 'current' || record(resource.target).type === 'Utilization')) {
      cpu = value as number;
    } else others.push(metric);
  }
  return { cpu, others };
}

function cpuMetric(utilization: number, target: 'target' | 'current'): Json {
  const value =
    target === 'target'
      ? { type: 'Utilization', averageUtilization: utilization }
      : { averageUtilization: utilization };
  return { type: 'Resource', resource: { name: 'cpu', [target]: value } };
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  const text = annotations[key];
  delete annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An autoscaling/v2 object (as stored) as autoscaling/v1. */
export function hpaV2ToV1(stored: KubeObject): KubeObject {
  const v2 = deepCopy(stored);
  const spec = record(v2.spec);
  const status = record(v2.status);
  const annotations: Record<string, string> = { ...(v2.metadata.annotations ?? {}) };
  const target = splitCpu(list(spec.metrics), 'target');
  const current = splitCpu(list(status.currentMetrics), 'current');
  if (target.others.length > 0) annotations[METRICS] = JSON.stringify(target.others);
  if (spec.behavior !== undefined) annotations[BEHAVIOR] = JSON.stringify(spec.behavior);
  if (current.others.length > 0) annotations[CURRENT_METRICS] = JSON.stringify(current.others);
  if (list(status.conditions).length > 0) annotations[CONDITIONS] = JSON.stringify(status.conditions);
  const { metrics: _m, behavior: _b, ...v1Spec } = spec;
  const { currentMetrics: _c, conditions: _k, ...v1Status } = status;
  const v1: KubeObject = {
    ...v2,
    apiVersion: 'autoscaling/v1',
    metadata: { ...v2.metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: { ...v1Spec, ...(target.cpu !== undefined ? { targetCPUUtilizationPercentage: target.cpu } : {}) },
  };
  if (v2.status !== undefined) {
    v1.status = { ...v1Status, ...(current.cpu !== undefined ? { currentCPUUtilizationPercentage: current.cpu } : {}) };
  }
  return v1;
}

/** An autoscaling/v1 object as autoscaling/v2, for storage. */
export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const v1 = deepCopy(obj);
  const annotations: Record<string, string> = { ...(v1.metadata.annotations ?? {}) };
  const { targetCPUUtilizationPercentage: cpu, ...spec } = record(v1.spec);
  const { currentCPUUtilizationPercentage: currentCpu, ...status } = record(v1.status);
  const metrics = [
    ...(typeof cpu === 'number' ? [cpuMetric(cpu, 'target')] : []),
    ...list(parseAnnotation(annotations, METRICS)),
  ];
  const behavior = parseAnnotation(annotations, BEHAVIOR);
  const currentMetrics = [
    ...(typeof currentCpu === 'number' ? [cpuMetric(currentCpu, 'current')] : []),
    ...list(parseAnnotation(annotations, CURRENT_METRICS)),
  ];
  const conditions = list(parseAnnotation(annotations, CONDITIONS));
  const metadata = { ...v1.metadata };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  const v2: KubeObject = {
    ...v1,
    apiVersion: 'autoscaling/v2',
    metadata,
    spec: { ...spec, ...(metrics.length > 0 ? { metrics } : {}), ...(behavior !== undefined ? { behavior } : {}) },
  };
  if (v1.status !== undefined) {
    v2.status = {
      ...status,
      ...(currentMetrics.length > 0 ? { currentMetrics } : {}),
      ...(conditions.length > 0 ? { conditions } : {}),
    };
  }
  return v2;
}
