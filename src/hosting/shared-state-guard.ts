/**
 * Keeps what replicas on one store share out of reach of everyone but the trusted: kube-system
 * holds the CA with its key, the bearer-token digests (whoever writes one mints an identity) and
 * the controller manager's leader-election Lease. RBAC alone would let a gardenlet, which may
 * manage Secrets and Leases in every namespace, read the CA key or add a token for
 * `system:masters`; so every request in kube-system, and every list or watch of Secrets across
 * all namespaces, is denied to users outside `trustedGroups` (`system:masters` is allowed before
 * this authorizer is asked). Everything else gets no opinion and goes on to RBAC.
 */
import type { AuthorizationResult, Authorizer, RequestAttributes } from '../apiserver/types.js';

export const sharedStateNamespace = 'kube-system';

export class SharedStateGuard implements Authorizer {
  readonly #trusted: ReadonlySet<string>;

  constructor(trustedGroups: readonly string[]) {
    this.#trusted = new Set(trustedGroups);
  }

  async authorize(attrs: RequestAttributes): Promise<AuthorizationResult> {
    if (!attrs.resourceRequest || attrs.user.groups.some((g) => this.#trusted.has(g))) {
      return { decision: 'noOpinion', reason: '' };
    }
    if (attrs.namespace === sharedStateNamespace) {
      return { decision: 'deny', reason: `${sharedStateNamespace} holds the garden's shared CA and token digests` };
    }
    if (attrs.namespace === '' && attrs.apiGroup === '' && attrs.resource === 'secrets') {
      return { decision: 'deny', reason: `Secrets of all namespaces include ${sharedStateNamespace}'s` };
    }
    return { decision: 'noOpinion', reason: '' };
  }
}
