/**
 * Plays the node agent for unit tests of the controller manager, which run no scheduler and no
 * node agent: it writes the status a kubelet would — Running and Ready with an address, not
 * ready, or finished (Succeeded/Failed). `startPodStandIn` keeps every pod of a namespace Running
 * and Ready; `runPod` sets one pod's status. End-to-end tests never use it: a shoot runs its own
 * kube-scheduler and node agents (src/shoot/scheduler/, src/shoot/kubelet/).
 */
import { podResource } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { Client } from '../../src/client/client.js';

export interface PodState {
  /** Default `Running`. */
  phase?: 'Running' | 'Succeeded' | 'Failed';
  /** Default none. */
  podIP?: string;
  /** Whether a Running pod is Ready (default true). */
  ready?: boolean;
}

/** The status a kubelet reports for `pod` in `state`, at `now`. */
function kubeletStatus(pod: KubeObject, state: PodState, now: string): Record<string, unknown> {
  const phase = state.phase ?? 'Running';
  const ready = phase === 'Running' && (state.ready ?? true);
  const finished = phase !== 'Running';
  const condition = (type: string, status = true) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
  });
  const containers = ((pod.spec as { containers?: { name: string; image?: string }[] }).containers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready,
    started: !finished,
    restartCount: 0,
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
  }));
  return {
    ...(pod.status as Record<string, unknown>),
    phase,
    ...(state.podIP ? { podIP: state.podIP, podIPs: [{ ip: state.podIP }] } : {}),
    startTime: now,
    conditions: [
      condition('PodScheduled'),
      condition('Initialized'),
      condition('ContainersReady', ready),
      condition('Ready', ready),
    ],
    containerStatuses: containers,
  };
}

/**
 * Writes the status a kubelet would write of `pod` (binding goes through pods/binding, which bare
 * stores do not serve: tests create pods with a `nodeName` where it matters).
 */
export async function runPod(client: Client, pod: KubeObject, state: PodState = {}): Promise<KubeObject> {
  const pods = client.resource(podResource);
  const namespace = pod.metadata.namespace ?? '';
  const current = await pods.get(namespace, pod.metadata.name ?? '');
  const status = kubeletStatus(current, state, new Date().toISOString());
  return pods.update(namespace, { ...current, status }, { subresource: 'status' });
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions;
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export interface PodStandIn {
  /** Runs one pass now: readies every pod not yet ready. */
  pass(): Promise<void>;
  stop(): void;
}

/**
 * Every `intervalMs`, reports the pods of `namespace` that are not ready (and not being deleted)
 * Running and Ready; with `paused()` true it leaves them as they are.
 */
export function startPodStandIn(
  client: Client,
  namespace: string,
  options: { intervalMs?: number; paused?: () => boolean } = {},
): PodStandIn {
  const pods = client.resource(podResource);
  const pass = async () => {
    if (options.paused?.()) return;
    for (const pod of (await pods.list(namespace)).items) {
      if (pod.metadata.deletionTimestamp || isReady(pod)) continue;
      try {
        const status = kubeletStatus(pod, { podIP: '10.0.0.1' }, new Date().toISOString().slice(0, 19) + 'Z');
        await pods.update(namespace, { ...pod, status }, { subresource: 'status' });
      } catch {
        // Deleted or changed meanwhile: the next pass looks again.
      }
    }
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(pass).catch(() => undefined);
  }, options.intervalMs ?? 200);
  return {
    pass: () => (running = running.then(pass)),
    stop: () => clearInterval(timer),
  };
}
