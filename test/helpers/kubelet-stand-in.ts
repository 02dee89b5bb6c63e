/**
 * Stands in for kube-scheduler and the kubelet in end-to-end tests, through a shoot's API, until
 * those run in a shoot: binds a pod to a node (pods/binding) and writes the status a kubelet
 * would — Running with an IP and Ready, or Succeeded/Failed. Drop it once the scheduler and the
 * node agent run pods themselves.
 */
import assert from 'node:assert/strict';
import type { Json } from './api-client.js';
import type { ShootClient } from './shoot-client.js';

export interface PodState {
  /** Default `Running`. */
  phase?: 'Running' | 'Succeeded' | 'Failed';
  podIP?: string;
  /** Whether a Running pod is Ready (default true). */
  ready?: boolean;
  node?: string;
}

const podPath = (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/pods/${name}`;

/** Binds the pod (unless bound) and writes its status as a kubelet would. */
export async function standInForKubelet(
  client: ShootClient,
  namespace: string,
  name: string,
  state: PodState = {},
): Promise<void> {
  const current = await client.request('GET', podPath(namespace, name));
  assert.equal(current.status, 200, JSON.stringify(current.body));
  if (!(current.body as Json).spec?.nodeName) {
    const bound = await client.request('POST', `${podPath(namespace, name)}/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name },
      target: { apiVersion: 'v1', kind: 'Node', name: state.node ?? 'worker-1' },
    });
    assert.ok(bound.status < 300, JSON.stringify(bound.body));
  }
  const pod = (await client.request('GET', podPath(namespace, name))).body as Json;
  const now = new Date().toISOString().replace(/\.[0-9]+Z$/, 'Z');
  const phase = state.phase ?? 'Running';
  const ready = phase === 'Running' && (state.ready ?? true);
  const finished = phase !== 'Running';
  const written = await client.request('PUT', `${podPath(namespace, name)}/status`, {
    ...pod,
    status: {
      ...pod.status,
      phase,
      ...(state.podIP ? { podIP: state.podIP, podIPs: [{ ip: state.podIP }], hostIP: '10.250.0.2' } : {}),
      startTime: pod.status?.startTime ?? now,
      conditions: [
        ...(pod.status?.conditions ?? []).filter((c: Json) => c.type === 'PodScheduled'),
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c: Json) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready,
        restartCount: 0,
        started: !finished,
        state: finished
          ? {
              terminated: {
                exitCode: phase === 'Succeeded' ? 0 : 1,
                reason: phase === 'Succeeded' ? 'Completed' : 'Error',
                startedAt: now,
                finishedAt: now,
              },
            }
          : { running: { startedAt: now } },
      })),
    },
  });
  assert.equal(written.status, 200, JSON.stringify(written.body));
}
