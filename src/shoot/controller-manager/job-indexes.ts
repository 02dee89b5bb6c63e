/**
 * Indexed Jobs (completionMode Indexed, k8s pkg/controller/job/indexed_job_utils.go): each pod
 * runs one completion index, named in its annotation and label
 * `batch.kubernetes.io/job-completion-index`, its hostname `<job>-<index>` and the environment
 * variable JOB_COMPLETION_INDEX; the Job is complete once every index below `completions` has a
 * succeeded pod, and says which in `status.completedIndexes` (`1,3-5`).
 */
import { podPhase } from '../../api/core/pod.js';
import type { KubeObject } from '../../api/meta.js';
import { recordAt, recordsAt } from './object-views.js';

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

/** The pod's completion index, when it has a valid one. */
export function podIndex(pod: KubeObject): number | undefined {
  const value = pod.metadata.annotations?.[COMPLETION_INDEX] ?? pod.metadata.labels?.[COMPLETION_INDEX];
  return value !== undefined && /^(0|[1-9][0-9]*)$/.test(value) ? Number(value) : undefined;
}

/** `1,3-5` → {1, 3, 4, 5}; what cannot be read is left out. */
export function parseIndexes(text: unknown): Set<number> {
  const indexes = new Set<number>();
  if (typeof text !== 'string') return indexes;
  for (const part of text.split(',')) {
    if (!/^[0-9]+(-[0-9]+)?$/.test(part)) continue;
    const [from, to = from] = part.split('-').map(Number);
    if (from === undefined || to === undefined || !Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let i = from; i <= to; i++) indexes.add(i);
  }
  return indexes;
}

/** {1, 3, 4, 5} → `1,3-5`. */
export function formatIndexes(indexes: ReadonlySet<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The indexes done: those the status names and those of succeeded pods, below `completions`. */
export function completedIndexes(status: Record<string, unknown>, pods: readonly KubeObject[], completions: number) {
  const done = parseIndexes(status.completedIndexes);
  for (const pod of pods) {
    const index = podIndex(pod);
    if (podPhase(pod) === 'Succeeded' && index !== undefined && index < completions) done.add(index);
  }
  return done;
}

/** The lowest `count` indexes neither done nor running. */
export function indexesToStart(
  done: ReadonlySet<number>,
  active: readonly KubeObject[],
  completions: number,
  count: number,
) {
  const running = new Set(active.map(podIndex));
  const start: number[] = [];
  for (let i = 0; i < completions && start.length < count; i++) {
    if (!done.has(i) && !running.has(i)) start.push(i);
  }
  return start;
}

/** Active pods that run an index already done, or one another pod runs too (the later ones). */
export function surplusIndexedPods(done: ReadonlySet<number>, active: readonly KubeObject[]): KubeObject[] {
  const seen = new Set<number>();
  const surplus: KubeObject[] = [];
  const oldestFirst = [...active].sort((a, b) =>
    (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''),
  );
  for (const pod of oldestFirst) {
    const index = podIndex(pod);
    if (index === undefined || done.has(index) || seen.has(index)) surplus.push(pod);
    else seen.add(index);
  }
  return surplus;
}

/** `pod` (of the Job's template) made the pod of `index`. */
export function withIndex(pod: KubeObject, jobName: string, index: number): KubeObject {
  const spec = pod.spec as Record<string, unknown>;
  const withEnv = (container: Record<string, unknown>) => ({
    ...container,
    env: [
      ...recordsAt(container, 'env').filter((e) => e.name !== 'JOB_COMPLETION_INDEX'),
      {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } },
      },
    ],
  });
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      generateName: `${jobName}-${index}-`,
      annotations: { ...pod.metadata.annotations, [COMPLETION_INDEX]: String(index) },
      labels: { ...pod.metadata.labels, [COMPLETION_INDEX]: String(index) },
    },
    spec: {
      ...spec,
      hostname: typeof spec.hostname === 'string' && spec.hostname !== '' ? spec.hostname : `${jobName}-${index}`,
      containers: recordsAt(spec, 'containers').map(withEnv),
      ...(Array.isArray(spec.initContainers) ? { initContainers: recordsAt(spec, 'initContainers').map(withEnv) } : {}),
    },
  };
}

/** Whether the Job runs in Indexed mode. */
export function isIndexed(job: KubeObject): boolean {
  return recordAt(job, 'spec').completionMode === 'Indexed';
}
