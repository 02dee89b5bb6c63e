/**
 * Tries authenticators in order; the first user wins (k8s `union.New`). One that throws does
 * not stop the others: a request with a valid client certificate and a stale token still
 * authenticates. When nobody returns a user the first error is rethrown, else the result is null.
 */
import type { AuthenticationRequest, Authenticator, UserInfo } from '../types.js';

export class UnionAuthenticator implements Authenticator {
  readonly #authenticators: readonly Authenticator[];

  constructor(...authenticators: Authenticator[]) {
    this.#authenticators = Object.freeze([...authenticators]);
  }

  async authenticate(req: AuthenticationRequest): Promise<UserInfo | null> {
    let firstError: unknown;
    for (const authenticator of this.#authenticators) {
      try {
        const user = await authenticator.authenticate(req);
        if (user) return user;
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
    return null;
  }

  onRevoked(listener: (credentialIds: readonly string[]) => void): void {
    for (const authenticator of this.#authenticators) authenticator.onRevoked?.(listener);
  }
}
