/**
 * Allows everything to members of the privileged groups (k8s `authorizerfactory`'s
 * privileged-group authorizer for `system:masters`); no opinion on everyone else.
 */
import type { AuthorizationResult, Authorizer, RequestAttributes } from '../types.js';

export const superuserGroup = 'system:masters';

export class SuperuserAuthorizer implements Authorizer {
  readonly #groups: ReadonlySet<string>;

  constructor(groups: readonly string[] = [superuserGroup]) {
    this.#groups = new Set(groups);
  }

  async authorize(attrs: RequestAttributes): Promise<AuthorizationResult> {
    return attrs.user.groups.some((g) => this.#groups.has(g))
      ? { decision: 'allow', reason: '' }
      : { decision: 'noOpinion', reason: '' };
  }
}
