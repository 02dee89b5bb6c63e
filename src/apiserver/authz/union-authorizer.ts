/**
 * Asks authorizers in order; the first `allow` or `deny` wins and `noOpinion` passes on (k8s
 * `union.New`). With no decision the non-empty reasons are joined by newlines. An authorizer
 * that throws is skipped; if nobody decides, the first error is rethrown (a 500, as in k8s).
 */
import type { AuthorizationResult, Authorizer, RequestAttributes } from '../types.js';

export class UnionAuthorizer implements Authorizer {
  readonly #authorizers: readonly Authorizer[];

  constructor(...authorizers: Authorizer[]) {
    this.#authorizers = Object.freeze([...authorizers]);
  }

  async authorize(attrs: RequestAttributes): Promise<AuthorizationResult> {
    const reasons: string[] = [];
    let firstError: unknown;
    for (const authorizer of this.#authorizers) {
      let result: AuthorizationResult;
      try {
        result = await authorizer.authorize(attrs);
      } catch (err) {
        firstError ??= err;
        continue;
      }
      if (result.decision !== 'noOpinion') return result;
      if (result.reason) reasons.push(result.reason);
    }
    if (firstError !== undefined) throw firstError;
    return { decision: 'noOpinion', reason: reasons.join('\n') };
  }
}
