/**
 * The node agent's pods (a kubelet's pod workers, simulated as kubernetes-sigs/kwok does): it
 * watches the pods bound to its node (`spec.nodeName=<node>`), and for each one
 * - starts it: Running, with the status of ./pod-status.ts, an address from the node's pod CIDR,
 *   and the events a kubelet writes (Pulling/Pulled, Created, Started);
 * - completes it when it runs to completion (restartPolicy Never/OnFailure, every Job's pods)
 *   after `completeAfterMs`: Succeeded, containers terminated with exit code 0;
 * - stops it when it is deleted: Killing events, containers terminated, then the final delete
 *   with grace period 0 and the pod's uid as precondition, as the kubelet does.
 *
 * Level-triggered and idempotent: each step is computed from the pod as the API has it and
 * written only when it changes something. After the API server comes back (at another seed, after
 * a migration) or the agent restarts, a pod it reported Running computes to the same status: it
 * is adopted as it is, not restarted, re-timed or re-addressed.
 */

import type { Logger } from 'pino';
import { podResource } from '../../api/core/pod.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import { isRecord, type KubeObject, nowTimestamp, resourceVersionOrder } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { EventRecorder } from '../../controller/event-recorder.js';
import { Informer } from '../../controller/informer.js';
import type { ListWatch } from '../../controller/list-watch.js';
import { allocatePodIp } from './pod-ips.js';
import {
  completedStatus,
  completionDue,
  type PodPlacement,
  podStage,
  runningContainers,
  runningStatus,
  runsToCompletion,
  statusChanged,
  statusOf,
} from './pod-status.js';

export interface PodWorkerOptions {
  nodeName: string;
  /** The agent's current client (it replaces it when its egress rules cut the connections). */
  client(): Client;
  /** The node's InternalIP and pod CIDR. */
  hostIP: string;
  podCIDR: string;
  /** How long a run-to-completion pod runs before it succeeds. */
  completeAfterMs: number;
  logger: Logger;
}

export interface PodWorker {
  /** The pods bound to this node, as last seen. */
  pods(): number;
  stop(): void;
}

const RETRY_MS = 1_000;
/**
 * How often every known pod is looked at again, whatever arrived (the kubelet's periodic pod
 * sync): a safety net under the events and timers, so that no pod waits for one that was missed.
 */
const RESYNC_MS = 10_000;
const CONFLICT_RETRY_MS = 100;

function keyOf(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

function revision(pod: KubeObject): bigint {
  return resourceVersionOrder(pod.metadata.resourceVersion);
}

function hostNetwork(pod: KubeObject): boolean {
  return isRecord(pod.spec) && pod.spec.hostNetwork === true;
}

/** The pull, create and start events of one container, in the kubelet's words (1.31). */
function startEvents(container: Record<string, unknown>, fieldPath: string) {
  const image = String(container.image ?? '');
  const name = String(container.name ?? '');
  const pulled =
    container.imagePullPolicy === 'Always'
      ? [
          { reason: 'Pulling', message: `Pulling image "${image}"` },
          { reason: 'Pulled', message: `Successfully pulled image "${image}" in 0s (0s including waiting)` },
        ]
      : [{ reason: 'Pulled', message: `Container image "${image}" already present on machine` }];
  return [
    ...pulled,
    { reason: 'Created', message: `Created container ${name}` },
    { reason: 'Started', message: `Started container ${name}` },
  ].map((e) => ({ ...e, type: 'Normal' as const, fieldPath }));
}

export function startPodWorker(options: PodWorkerOptions): PodWorker {
  const { nodeName, logger } = options;
  const cache = new Map<string, KubeObject>();
  const queue = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  let draining = false;
  let stopped = false;
  const pods = () => options.client().resource(podResource);
  const events = () => new EventRecorder(options.client(), { component: 'kubelet', host: nodeName }, logger);
  const selector = { fieldSelector: `spec.nodeName=${nodeName}` };
  const source: ListWatch = {
    list: () => pods().list('', selector),
    watch: (resourceVersion) =>
      pods().watch('', { ...selector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 }),
  };

  const enqueueAfter = (key: string, delayMs: number) => {
    clearTimeout(timers.get(key));
    const timer = setTimeout(() => {
      timers.delete(key);
      enqueue(key);
    }, delayMs);
    timer.unref();
    timers.set(key, timer);
  };

  const enqueue = (key: string) => {
    if (stopped) return;
    queue.add(key);
    if (!draining) void drain();
  };

  /** One pod at a time, so two new pods never get the same address. */
  const drain = async () => {
    draining = true;
    try {
      while (!stopped && queue.size > 0) {
        const key = queue.values().next().value as string;
        queue.delete(key);
        try {
          await sync(key);
        } catch (err) {
          if (stopped) return;
          if (isConflict(err)) {
            // Computed from a pod that changed meanwhile: again, from the one the watch brings.
            enqueueAfter(key, CONFLICT_RETRY_MS);
            continue;
          }
          logger.warn({ pod: key, err: (err as Error).message }, 'pod sync failed; retrying');
          enqueueAfter(key, RETRY_MS);
        }
      }
    } finally {
      draining = false;
    }
  };

  const placement = (pod: KubeObject): PodPlacement => {
    const now = nowTimestamp();
    if (hostNetwork(pod)) return { hostIP: options.hostIP, podIP: options.hostIP, now };
    const current = statusOf(pod).podIP;
    if (typeof current === 'string' && current) return { hostIP: options.hostIP, podIP: current, now };
    const taken = new Set(
      [...cache.values()]
        .filter((p) => p.metadata.uid !== pod.metadata.uid && !hostNetwork(p))
        .map((p) => statusOf(p).podIP)
        .filter((ip): ip is string => typeof ip === 'string'),
    );
    const podIP = allocatePodIp(options.podCIDR, taken);
    if (!podIP) throw new Error(`no free address left in the node's pod CIDR ${options.podCIDR}`);
    return { hostIP: options.hostIP, podIP, now };
  };

  const writeStatus = async (pod: KubeObject, status: Record<string, unknown>): Promise<KubeObject> => {
    if (!statusChanged(pod, status)) return pod;
    // A replace guarded by the resourceVersion the status was computed from: a condition another
    // writer added meanwhile is never lost (the write conflicts and is computed again).
    const updated = await pods().update(pod.metadata.namespace ?? '', { ...pod, status }, { subresource: 'status' });
    cache.set(keyOf(updated), updated);
    return updated;
  };

  const start = async (pod: KubeObject): Promise<KubeObject> => {
    const updated = await writeStatus(pod, runningStatus(pod, placement(pod)));
    logger.info({ pod: keyOf(pod), podIP: statusOf(updated).podIP }, 'pod running');
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const recorder = events();
    for (const field of ['initContainers', 'containers'] as const) {
      const list = Array.isArray(spec[field]) ? spec[field].filter(isRecord) : [];
      for (const container of list) {
        for (const event of startEvents(container, `spec.${field}{${String(container.name)}}`)) {
          await recorder.record(updated, event);
        }
      }
    }
    return updated;
  };

  /** Looks again when a run-to-completion pod is due to finish. */
  const scheduleCompletion = (key: string, pod: KubeObject) => {
    if (podStage(pod, Date.now(), options.completeAfterMs) === 'running' && runsToCompletion(pod)) {
      enqueueAfter(key, Math.max(0, completionDue(pod, options.completeAfterMs) - Date.now()));
    }
  };

  const terminate = async (pod: KubeObject) => {
    const recorder = events();
    for (const name of runningContainers(pod)) {
      await recorder.record(pod, {
        type: 'Normal',
        reason: 'Killing',
        message: `Stopping container ${name}`,
        fieldPath: `spec.containers{${name}}`,
      });
    }
    const stoppedPod =
      statusOf(pod).phase === 'Running' ? await writeStatus(pod, completedStatus(pod, placement(pod))) : pod;
    try {
      await pods().delete(pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: stoppedPod.metadata.uid },
      });
      logger.info({ pod: keyOf(pod) }, 'pod stopped and deleted');
    } catch (err) {
      // Gone already, or the name belongs to a new pod now.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  };

  const sync = async (key: string) => {
    const pod = cache.get(key);
    if (!pod) return;
    try {
      switch (podStage(pod, Date.now(), options.completeAfterMs)) {
        case 'start':
          // Its completion is timed from here, not from the watch's echo of this write: an echo
          // that is late or lost (a watch broken and resumed past it) must not leave it running.
          scheduleCompletion(key, await start(pod));
          break;
        case 'running':
          scheduleCompletion(key, await writeStatus(pod, runningStatus(pod, placement(pod))));
          break;
        case 'complete':
          await writeStatus(pod, completedStatus(pod, placement(pod)));
          logger.info({ pod: key }, 'pod succeeded');
          break;
        case 'terminate':
          await terminate(pod);
          break;
        case 'done':
          break;
      }
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile: its watch event removes it
      throw err;
    }
  };

  const informer = new Informer(source, {
    replace(objects) {
      const listed = new Set(objects.map(keyOf));
      for (const key of cache.keys()) if (!listed.has(key)) cache.delete(key);
    },
    upsert(pod) {
      const key = keyOf(pod);
      const known = cache.get(key);
      // The agent's own write may be newer than an event still on its way.
      if (known && known.metadata.uid === pod.metadata.uid && revision(known) > revision(pod)) return;
      cache.set(key, pod);
      enqueue(key);
    },
    remove(pod) {
      cache.delete(keyOf(pod));
      clearTimeout(timers.get(keyOf(pod)));
    },
  });
  informer.start();
  const resync = setInterval(() => {
    for (const key of cache.keys()) enqueue(key);
  }, RESYNC_MS);
  resync.unref();

  return {
    pods: () => cache.size,
    stop() {
      stopped = true;
      clearInterval(resync);
      informer.stop();
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}
