/**
 * A shoot's kube-scheduler, run by the hosting seed next to the controller manager and talking to
 * the shoot's API as `system:kube-scheduler` with its own client certificate. Only the leader of
 * the Lease `kube-system/kube-scheduler` schedules (../leader-election.ts): while a control plane
 * moves, the source's (stopped before the final snapshot) and the destination's (started once the
 * API server serves there) never bind at once.
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import type { Controller } from '../../controller/controller.js';
import { EventRecorder } from '../../controller/event-recorder.js';
import { startLeaderElection } from '../../controller/leader-election.js';
import { SharedInformerFactory } from '../../controller/shared-informers.js';
import { DEFAULT_SCHEDULER_NAME, schedulerController } from './scheduler.js';

export const SCHEDULER_LEASE = 'kube-scheduler';
/** The user its certificate names; the shoot's RBAC bootstrap grants it what scheduling needs. */
export const SCHEDULER_USER = 'system:kube-scheduler';

export interface KubeSchedulerOptions {
  /** The shoot's API, as this scheduler's user. */
  client: Client;
  /** `POST pods/<name>/binding` on the shoot's API. */
  bind(pod: KubeObject, node: string): Promise<void>;
  /** Unique per running instance (`<seed>_<uuid>`). */
  identity: string;
  logger: Logger;
  /** Leader election timing (tests shorten it); client-go's defaults otherwise. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface KubeScheduler {
  /** Whether this instance leads (schedules) now. */
  readonly leading: boolean;
  /** Stops scheduling and hands the Lease back. */
  stop(): Promise<void>;
}

/** The Binding kube-scheduler posts: the pod's name and uid, and the node. */
export function bindingFor(pod: KubeObject, node: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
    target: { apiVersion: 'v1', kind: 'Node', name: node },
  };
}

export function startKubeScheduler(options: KubeSchedulerOptions): KubeScheduler {
  const log = options.logger.child({ component: 'kube-scheduler' });
  let running: { controller: Controller; informers: SharedInformerFactory } | undefined;
  const election = startLeaderElection({
    client: options.client,
    namespace: 'kube-system',
    name: SCHEDULER_LEASE,
    identity: options.identity,
    ...(options.leaseDurationMs !== undefined ? { leaseDurationMs: options.leaseDurationMs } : {}),
    ...(options.renewDeadlineMs !== undefined ? { renewDeadlineMs: options.renewDeadlineMs } : {}),
    ...(options.retryPeriodMs !== undefined ? { retryPeriodMs: options.retryPeriodMs } : {}),
    onStartedLeading: () => {
      log.info({ identity: options.identity }, 'leading: scheduling');
      const informers = new SharedInformerFactory(options.client);
      const events = new EventRecorder(options.client, { component: DEFAULT_SCHEDULER_NAME }, log);
      const controller = schedulerController({
        client: options.client,
        informers,
        bind: options.bind,
        events,
        logger: log,
      });
      running = { controller, informers };
      controller.start();
    },
    onStoppedLeading: () => {
      log.info({ identity: options.identity }, 'no longer leading: scheduling stops');
      running?.controller.stop();
      running?.informers.stop();
      running = undefined;
    },
    onError: (err) => log.warn({ err: (err as Error).message }, 'leader election attempt failed'),
  });
  return {
    get leading() {
      return election.leading;
    },
    stop: () => election.stop(),
  };
}
