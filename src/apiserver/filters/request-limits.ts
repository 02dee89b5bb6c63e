/**
 * The limits a request meets before it is served (k8s's max-in-flight filter, the simplest form
 * of API Priority and Fairness, plus a cap on open watches): requests in flight on the whole
 * server, read-only and mutating apart as kube-apiserver's `--max-requests-inflight` and
 * `--max-mutating-requests-inflight`; requests in flight per user; watches open per user.
 * Long-running requests (watches, proxy and exec-like streams) hold no in-flight slot, as in
 * kube-apiserver: they are bounded by the watch cap instead. `system:masters` is exempt, as in
 * kube-apiserver (its exempt priority level), so an operator can always get in.
 *
 * The bookkeeping is per user name and kept here alone, so that whoever must act on a user's
 * requests (ending the watches of a revoked identity) finds them in one place.
 */
import { tooManyRequests } from '../../api/errors.js';
import { superuserGroup } from '../authz/superuser-authorizer.js';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';

/** 0 means no limit, as for kube-apiserver's flags. */
export interface RequestLimits {
  /** Read-only requests in flight on the server (kube-apiserver `--max-requests-inflight`). */
  maxRequestsInFlight: number;
  /** Mutating requests in flight on the server (`--max-mutating-requests-inflight`). */
  maxMutatingRequestsInFlight: number;
  /** Requests in flight of one user, read-only and mutating together. */
  maxRequestsInFlightPerUser: number;
  /** Watches one user holds open at once. */
  maxWatchesPerUser: number;
}

/** kube-apiserver's defaults for the server-wide caps; the per-user ones leave room for a busy controller. */
export const defaultRequestLimits: Readonly<RequestLimits> = Object.freeze({
  maxRequestsInFlight: 400,
  maxMutatingRequestsInFlight: 200,
  maxRequestsInFlightPerUser: 100,
  maxWatchesPerUser: 500,
});

/** What a client is told to wait before it tries again (kube-apiserver answers 1 as well). */
export const retryAfterSeconds = 1;

const readOnlyVerbs = new Set(['get', 'list', 'watch', 'head', 'options']);
/** Subresources that stream for as long as the client wants (kube's long-running request pattern). */
const streamingSubresources = new Set(['proxy', 'exec', 'attach', 'portforward', 'log']);

/** A watch, or a proxy/exec-like stream: it holds no in-flight slot (kube's `LongRunningFunc`). */
export function isLongRunning(info: RequestInfo): boolean {
  return info.verb === 'watch' || streamingSubresources.has(info.subresource);
}

/** Where a watch registers how to end it. */
export interface WatchRegistration {
  add(stop: () => void): void;
  delete(stop: () => void): void;
}

/** What `admit` hands back: the release of the request's slot, and for a watch where to register its stop. */
export interface Admission {
  release(): void;
  watch: WatchRegistration;
}

interface UserState {
  inFlight: number;
  /** Open watches and the function that ends each. */
  watches: Set<() => void>;
}

export class RequestLimiter {
  readonly #limits: RequestLimits;
  #readOnly = 0;
  #mutating = 0;
  readonly #users = new Map<string, UserState>();

  constructor(limits: Partial<RequestLimits> = {}) {
    this.#limits = Object.freeze({ ...defaultRequestLimits, ...limits });
  }

  get limits(): Readonly<RequestLimits> {
    return this.#limits;
  }

  /**
   * Takes a slot for the request, or throws the 429 it is refused with. The caller releases the
   * slot when the request is done (a watch: when it ends).
   */
  admit(user: UserInfo, info: RequestInfo): Admission {
    const exempt = user.groups.includes(superuserGroup);
    const state = this.#state(user.name);
    if (isLongRunning(info)) {
      if (info.verb === 'watch') return this.#admitWatch(user, state, exempt);
      return { release: () => this.#forget(user.name, state), watch: noWatch };
    }
    const mutating = !readOnlyVerbs.has(info.verb);
    if (!exempt) {
      const { maxRequestsInFlight, maxMutatingRequestsInFlight, maxRequestsInFlightPerUser } = this.#limits;
      const serverFull = mutating
        ? over(this.#mutating, maxMutatingRequestsInFlight)
        : over(this.#readOnly, maxRequestsInFlight);
      if (serverFull || over(state.inFlight, maxRequestsInFlightPerUser)) {
        this.#forget(user.name, state);
        throw tooManyRequests('Too many requests, please try again later.', retryAfterSeconds);
      }
    }
    if (mutating) this.#mutating++;
    else this.#readOnly++;
    state.inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        if (mutating) this.#mutating--;
        else this.#readOnly--;
        state.inFlight--;
        this.#forget(user.name, state);
      },
      watch: noWatch,
    };
  }

  /** Requests of `userName` in flight now (watches not counted). */
  inFlight(userName: string): number {
    return this.#users.get(userName)?.inFlight ?? 0;
  }

  /** Watches `userName` holds open now. */
  openWatches(userName: string): number {
    return this.#users.get(userName)?.watches.size ?? 0;
  }

  /** Ends every open watch of `userName` (a revoked identity); returns how many. */
  stopWatchesOf(userName: string): number {
    const watches = [...(this.#users.get(userName)?.watches ?? [])];
    for (const stop of watches) stop();
    return watches.length;
  }

  /** Ends every open watch (the server stops). */
  stopAllWatches(): void {
    for (const state of [...this.#users.values()]) for (const stop of [...state.watches]) stop();
  }

  #admitWatch(user: UserInfo, state: UserState, exempt: boolean): Admission {
    // A watch counts from its admission: the stop it registers later takes the slot it reserved.
    const reserved = () => {};
    if (!exempt && over(state.watches.size, this.#limits.maxWatchesPerUser)) {
      this.#forget(user.name, state);
      throw tooManyRequests(
        `Too many open watches: user "${user.name}" may hold ${this.#limits.maxWatchesPerUser}, please try again later.`,
        retryAfterSeconds,
      );
    }
    state.watches.add(reserved);
    return {
      release: () => {
        state.watches.delete(reserved);
        this.#forget(user.name, state);
      },
      watch: {
        add: (stop) => {
          state.watches.delete(reserved);
          state.watches.add(stop);
        },
        delete: (stop) => {
          state.watches.delete(stop);
        },
      },
    };
  }

  #state(name: string): UserState {
    let state = this.#users.get(name);
    if (!state) {
      state = { inFlight: 0, watches: new Set() };
      this.#users.set(name, state);
    }
    return state;
  }

  /** Drops a user's entry once it holds nothing, so the map does not grow with every name ever seen. */
  #forget(name: string, state: UserState): void {
    if (state.inFlight === 0 && state.watches.size === 0 && this.#users.get(name) === state) this.#users.delete(name);
  }
}

const noWatch: WatchRegistration = { add: () => {}, delete: () => {} };

function over(count: number, limit: number): boolean {
  return limit > 0 && count >= limit;
}
