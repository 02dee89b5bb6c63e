/**
 * Plays kube-scheduler and kubelet for the workload tests until the shoot has its own (issue 13,
 * the `kubelet` part): every pod of a namespace gets bound to a node (when a binder is given) and
 * its status set Running and Ready, as kwok would. Drop it once the shoot runs pods itself.
 */
import { podResource } from '../../src/api/core/pod.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { Client } from '../../src/client/client.js';
import { nodeOfPod } from '../../src/shoot/controller-manager/apps/daemonset/node-placement.js';
import type { ShootClient } from './shoot-client.js';

/** How the stand-in reads and writes pods: in-process or over the shoot's HTTPS API. */
export interface PodApi {
  list(namespace: string): Promise<KubeObject[]>;
  /** Sets the status (the status subresource); the object carries its resourceVersion. */
  setStatus(namespace: string, pod: KubeObject): Promise<void>;
  /** pods/binding; absent: pods stay unscheduled (enough for controllers that do not look). */
  bind?(namespace: string, name: string, node: string): Promise<void>;
}

export function clientPodApi(client: Client): PodApi {
  const pods = client.resource(podResource);
  return {
    list: async (namespace) => (await pods.list(namespace)).items,
    setStatus: async (namespace, pod) => {
      await pods.update(namespace, pod, { subresource: 'status' });
    },
  };
}

export function shootPodApi(client: ShootClient): PodApi {
  const base = (namespace: string) => `/api/v1/namespaces/${namespace}/pods`;
  const ok = (response: { status: number; body: unknown }, what: string) => {
    if (response.status >= 300) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  };
  return {
    list: async (namespace) => {
      const response = await client.request('GET', base(namespace));
      ok(response, 'list pods');
      return (response.body as { items: KubeObject[] }).items;
    },
    setStatus: async (namespace, pod) => {
      ok(await client.request('PUT', `${base(namespace)}/${pod.metadata.name}/status`, pod), 'pod status');
    },
    bind: async (namespace, name, node) => {
      const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } };
      ok(await client.request('POST', `${base(namespace)}/${name}/binding`, binding), 'bind pod');
    },
  };
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions;
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The status a kubelet reports for a pod whose containers all started. */
function runningStatus(pod: KubeObject, now: string): Record<string, unknown> {
  const containers = ((pod.spec as { containers?: { name: string; image?: string }[] }).containers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: now } },
  }));
  const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
  return {
    ...(pod.status as Record<string, unknown>),
    phase: 'Running',
    startTime: now,
    podIP: '10.0.0.1',
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
    containerStatuses: containers,
  };
}

export interface PodStandIn {
  /** Runs one pass now: binds and readies every pod not yet ready. */
  pass(): Promise<void>;
  stop(): void;
}

/**
 * Every `intervalMs`, binds (to `node`) and readies the pods of `namespace` that are not ready
 * (and not being deleted); with `paused()` true it leaves them as they are.
 */
export function startPodStandIn(
  api: PodApi,
  namespace: string,
  options: { node?: string; intervalMs?: number; paused?: () => boolean } = {},
): PodStandIn {
  const pass = async () => {
    if (options.paused?.()) return;
    for (const listed of await api.list(namespace)) {
      if (listed.metadata.deletionTimestamp || isReady(listed)) continue;
      let pod = listed;
      const name = pod.metadata.name ?? '';
      try {
        // A pod pinned to a node (a DaemonSet's, by node affinity) goes there; any other to `node`.
        const target = nodeOfPod(pod) ?? options.node;
        if (api.bind && target && !(pod.spec as { nodeName?: string }).nodeName) {
          await api.bind(namespace, name, target);
          const bound = (await api.list(namespace)).find((p) => p.metadata.name === name);
          if (!bound) continue;
          pod = bound;
        }
        await api.setStatus(namespace, {
          ...pod,
          status: runningStatus(pod, new Date().toISOString().slice(0, 19) + 'Z'),
        });
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
