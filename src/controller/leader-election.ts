/**
 * Leader election on a Lease (client-go's `leaderelection` with a `LeaseLock`): of all candidates
 * that share a Lease, one at a time leads, so two controller managers or schedulers of one shoot
 * never act at once — also while a control plane moves and two seeds run one for a moment — and
 * of the garden's replicas one runs the garden's controllers.
 *
 * A candidate takes the Lease when nobody holds it, its holder let it go, or the holder has not
 * renewed it for `leaseDurationMs`; every write carries the resourceVersion it read, so of two
 * candidates racing only one wins. The leader renews every `retryPeriodMs`; when it cannot renew
 * for `renewDeadlineMs` it stops leading (its controllers stop) before anyone else may take over:
 * a timer enforces that deadline, so a renewal hanging on an unreachable store cannot stretch it.
 * `stop()` hands the Lease back at once (client-go's ReleaseOnCancel), so a successor need not
 * wait out the duration.
 */
import { leaseResource } from '../api/coordination/lease.js';
import { isConflict } from '../api/errors.js';
import { isRecord, type KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';

export interface LeaderElectionOptions {
  client: Client;
  namespace: string;
  /** The Lease's name, e.g. `kube-controller-manager`. */
  name: string;
  /** Who this candidate is (unique per process, e.g. `<seed>_<uuid>`). */
  identity: string;
  /** Called when this candidate starts leading; it leads until `onStoppedLeading`. */
  onStartedLeading(): void | Promise<void>;
  /** Called when this candidate stops leading (lost the Lease, or stopped). */
  onStoppedLeading(): void | Promise<void>;
  /** client-go's defaults: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Errors of single attempts (the election goes on). */
  onError?(err: unknown): void;
}

export interface LeaderElector {
  /** Whether this candidate leads now. */
  readonly leading: boolean;
  /** Stops campaigning; a leader stops leading and releases the Lease. */
  stop(): Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

/** Kubernetes' MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function specOf(lease: KubeObject | null): LeaseSpec {
  return lease && isRecord(lease.spec) ? (lease.spec as LeaseSpec) : {};
}

export function startLeaderElection(options: LeaderElectionOptions): LeaderElector {
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const leases = options.client.resource(leaseResource);
  const { namespace, name, identity } = options;
  let leading = false;
  let lastRenew = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** Fires `renewDeadlineMs` after the last renewal: a leader that could not renew stops leading. */
  let deadlineTimer: NodeJS.Timeout | undefined;
  let stepping: Promise<void> = Promise.resolve();
  let attempt: Promise<void> = Promise.resolve();

  /** One try to take or keep the Lease; true when this candidate holds it afterwards. */
  async function tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const lease = await leases.find(namespace, name);
    const spec = specOf(lease);
    const mine = spec.holderIdentity === identity;
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const duration = (spec.leaseDurationSeconds ?? 0) * 1000;
    const heldByOther = !mine && !!spec.holderIdentity && renewed + duration > now;
    if (heldByOther) return false;
    const next: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      // As client-go counts: every acquisition of an existing Lease by a new holder is a transition.
      leaseTransitions: (spec.leaseTransitions ?? 0) + (lease && !mine ? 1 : 0),
    };
    try {
      if (!lease) await leases.create(namespace, { metadata: { name, namespace }, spec: next });
      else await leases.update(namespace, { ...lease, spec: { ...spec, ...next } });
    } catch (err) {
      if (isConflict(err)) return false; // Another candidate wrote first: read again next time.
      throw err;
    }
    return true;
  }

  async function round(): Promise<void> {
    if (stopped) return;
    let holds = false;
    // The Lease says it was renewed when the attempt began: the deadline counts from then.
    const started = Date.now();
    try {
      holds = await tryAcquireOrRenew();
    } catch (err) {
      options.onError?.(err);
    }
    if (stopped) return;
    if (holds) {
      lastRenew = started;
      clearTimeout(deadlineTimer);
      deadlineTimer = setTimeout(() => void stepDown(), Math.max(0, started + renewDeadlineMs - Date.now()));
      await stepping;
      if (!leading && !stopped) {
        leading = true;
        await options.onStartedLeading();
      }
    } else if (leading && Date.now() - lastRenew > renewDeadlineMs) {
      await stepDown();
    }
  }

  /** Stops leading (once): the controllers stop before the Lease this candidate last renewed expires. */
  function stepDown(): Promise<void> {
    clearTimeout(deadlineTimer);
    if (!leading) return stepping;
    leading = false;
    stepping = Promise.resolve(options.onStoppedLeading());
    return stepping;
  }

  function schedule(delayMs: number): void {
    timer = setTimeout(() => {
      attempt = round().finally(() => {
        if (!stopped) schedule(retryPeriodMs);
      });
    }, delayMs);
  }
  schedule(0);

  return {
    get leading() {
      return leading;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempt;
      if (!leading) return;
      await stepDown();
      // Hand the Lease back: a successor takes it at once instead of waiting out its duration.
      const lease = await leases.find(namespace, name).catch(() => null);
      if (!lease || specOf(lease).holderIdentity !== identity) return;
      const released = {
        ...specOf(lease),
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: microTime(Date.now()),
      };
      await leases.update(namespace, { ...lease, spec: released }).catch((err) => options.onError?.(err));
    },
  };
}
