/**
 * A shoot's kube-controller-manager: the controllers that make the cluster's objects come true,
 * run by the hosting seed next to the shoot's API server and talking to it as any client does
 * (its own client certificate, through the shoot's endpoint). Only the leader of the Lease
 * `kube-system/kube-controller-manager` runs them (./leader-election.ts), so while a control plane
 * moves the source's and the destination's never act at once.
 */
import type { Logger } from 'pino';
import type { Client } from '../../client/client.js';
import { startLeaderElection } from '../leader-election.js';
import { type CollectableResource, GarbageCollector } from './garbage-collector.js';
import { serviceAccountController } from './service-account-controller.js';

export const CONTROLLER_MANAGER_LEASE = 'kube-controller-manager';
/** The user its certificate names; the shoot's RBAC bootstrap grants it what its controllers need. */
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

export interface ShootControllerManagerOptions {
  /** The shoot's API, as this controller manager's user. */
  client: Client;
  /** What the shoot's API serves (its discovery): what the garbage collector watches. */
  discover: () => Promise<readonly CollectableResource[]>;
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
}

/** The controllers kube-controller-manager runs, on `client`. */
function controllers(options: ShootControllerManagerOptions, logger: Logger): Runnable[] {
  return [
    serviceAccountController(options.client, logger),
    new GarbageCollector(options.client, options.discover, logger),
  ];
}

export function startShootControllerManager(options: ShootControllerManagerOptions): ShootControllerManager {
  const log = options.logger.child({ component: 'kube-controller-manager' });
  let running: Runnable[] = [];
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
      running = controllers(options, log);
      for (const controller of running) controller.start();
    },
    onStoppedLeading: () => {
      log.info({ identity: options.identity }, 'no longer leading: stopping the controllers');
      for (const controller of running) controller.stop();
      running = [];
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
