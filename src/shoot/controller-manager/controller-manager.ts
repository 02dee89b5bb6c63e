/**
 * A shoot's kube-controller-manager: the controllers that make the cluster's objects come true,
 * run by the hosting seed next to the shoot's API server and talking to it as any client does
 * (its own client certificate, through the shoot's endpoint). Only the leader of the Lease
 * `kube-system/kube-controller-manager` runs them (./leader-election.ts), so while a control plane
 * moves the source's and the destination's never act at once.
 */
import type { Logger } from 'pino';
import type { Client } from '../../client/client.js';
import { startLeaderElection } from '../../controller/leader-election.js';
import { SharedInformerFactory } from '../../controller/shared-informers.js';
import { daemonSetController } from './apps/daemonset/daemon-set-controller.js';
import { deploymentController } from './apps/deployment/deployment-controller.js';
import { replicaSetController, replicationControllerController } from './apps/replica-set-controller.js';
import { statefulSetController } from './apps/statefulset/stateful-set-controller.js';
import { cronJobController } from './cronjob-controller.js';
import { endpointsController } from './endpoints-controller.js';
import { endpointSliceController } from './endpointslice-controller.js';
import { type CollectableResource, GarbageCollector } from './garbage-collector.js';
import { jobController } from './job-controller.js';
import { namespaceController } from './namespace-controller.js';
import { podGcController } from './pod-gc-controller.js';
import { rootCaPublisher } from './root-ca-publisher.js';
import { serviceAccountController } from './service-account-controller.js';
import { ttlAfterFinishedController } from './ttl-after-finished-controller.js';

export const CONTROLLER_MANAGER_LEASE = 'kube-controller-manager';
/** The user its certificate names; the shoot's RBAC bootstrap grants it what its controllers need. */
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

export interface ShootControllerManagerOptions {
  /** The shoot's API, as this controller manager's user. */
  client: Client;
  /** What the shoot's API serves (its discovery): what the garbage collector watches. */
  discover: () => Promise<readonly CollectableResource[]>;
  /** The CA the shoot's API server certificate chains to, published in every namespace (when given). */
  rootCaPem?: string;
  /** Unique per running instance (`<seed>_<uuid>`). */
  identity: string;
  logger: Logger;
  /** Leader election timing (tests shorten it); client-go's defaults otherwise. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ShootControllerManager {
  /** Whether this instance leads (runs the controllers) now. */
  readonly leading: boolean;
  /** Stops the controllers and hands the Lease back. */
  stop(): Promise<void>;
}

/** What runs while this instance leads. */
interface Runnable {
  start(): void;
  stop(): void;
  /** Resolves once no reconcile of it runs any more (controllers have it). */
  idle?(): Promise<void>;
}

/**
 * What every controller gets: the shoot's API, the informers all of them share (read objects from
 * their listers, watch through their sources: one watch per resource for the whole controller
 * manager), and a logger.
 */
export interface ControllerContext {
  client: Client;
  informers: SharedInformerFactory;
  logger: Logger;
}

/** The controllers kube-controller-manager runs. */
function controllers(context: ControllerContext, options: ShootControllerManagerOptions): Runnable[] {
  return [
    serviceAccountController(context),
    ...(options.rootCaPem ? [rootCaPublisher(context, options.rootCaPem)] : []),
    replicaSetController(context),
    replicationControllerController(context),
    deploymentController(context),
    statefulSetController(context),
    daemonSetController(context),
    namespaceController(context, options.discover),
    endpointsController(context),
    endpointSliceController(context),
    jobController(context),
    ttlAfterFinishedController(context),
    podGcController(context),
    cronJobController(context),
    // Last: it shares the caches of the resources the others read and watches the rest itself.
    new GarbageCollector(context.client, context.informers, options.discover, context.logger),
  ];
}

export function startShootControllerManager(options: ShootControllerManagerOptions): ShootControllerManager {
  const log = options.logger.child({ component: 'kube-controller-manager' });
  let running: Runnable[] = [];
  let informers: SharedInformerFactory | undefined;
  const election = startLeaderElection({
    client: options.client,
    namespace: 'kube-system',
    name: CONTROLLER_MANAGER_LEASE,
    identity: options.identity,
    ...(options.leaseDurationMs !== undefined ? { leaseDurationMs: options.leaseDurationMs } : {}),
    ...(options.renewDeadlineMs !== undefined ? { renewDeadlineMs: options.renewDeadlineMs } : {}),
    ...(options.retryPeriodMs !== undefined ? { retryPeriodMs: options.retryPeriodMs } : {}),
    onStartedLeading: () => {
      log.info({ identity: options.identity }, 'leading: starting the controllers');
      informers = new SharedInformerFactory(options.client);
      running = controllers({ client: options.client, informers, logger: log }, options);
      for (const controller of running) controller.start();
    },
    onStoppedLeading: async () => {
      log.info({ identity: options.identity }, 'no longer leading: stopping the controllers');
      const stopping = running;
      for (const controller of stopping) controller.stop();
      informers?.stop();
      running = [];
      informers = undefined;
      // Stopped means no request of ours is still under way: the seed stops the API server next.
      await Promise.all(stopping.map((controller) => controller.idle?.()));
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
