/**
 * Ends the requests still running with a credential once it is revoked. Authentication happens
 * once per request, so a watch opened with a token keeps streaming after the token is deleted,
 * for up to its timeout (30–60 min): a revoked seed would go on reading every change. Kubernetes
 * has the same gap; here the authenticator reports revocations (`Authenticator.onRevoked`) and
 * the server ends every long-running request (a watch, a stream) that authenticated with a revoked
 * credential. The client's next request, a re-opened watch too, is then refused with 401.
 */
import type { UserInfo } from './types.js';

/** The key of `UserInfo.extra` naming the credential a request presented (as in Kubernetes 1.29+). */
export const credentialIdKey = 'authentication.kubernetes.io/credential-id';

/** The credential id a user was authenticated with, if its authenticator gives one. */
export function credentialIdOf(user: UserInfo): string | undefined {
  return user.extra?.[credentialIdKey]?.[0];
}

export class RevocableRequests {
  /** The ends of the running requests, by the credential they authenticated with. */
  readonly #running = new Map<string, Set<() => void>>();

  /**
   * Records a running request of `user`; `end` ends it at once (its connection destroyed).
   * Returns what to call when the request is done. A user without a credential id is not tracked.
   */
  track(user: UserInfo, end: () => void): () => void {
    const id = credentialIdOf(user);
    if (id === undefined) return () => {};
    let ends = this.#running.get(id);
    if (!ends) {
      ends = new Set();
      this.#running.set(id, ends);
    }
    ends.add(end);
    return () => {
      ends.delete(end);
      if (ends.size === 0 && this.#running.get(id) === ends) this.#running.delete(id);
    };
  }

  /** Ends every running request that authenticated with one of `credentialIds`; returns how many. */
  revoke(credentialIds: readonly string[]): number {
    let ended = 0;
    for (const id of credentialIds) {
      const ends = this.#running.get(id);
      if (!ends) continue;
      this.#running.delete(id);
      for (const end of ends) {
        end();
        ended++;
      }
    }
    return ended;
  }

  /** How many requests run with credential ids (for tests). */
  get size(): number {
    let n = 0;
    for (const ends of this.#running.values()) n += ends.size;
    return n;
  }
}
