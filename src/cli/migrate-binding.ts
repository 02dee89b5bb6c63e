/**
 * The binding, exactly as the seed document's command makes it (docs/migration.md, "The trigger"):
 * GET the shoot, set `spec.seedName`, PUT the whole object to its `binding` subresource with the
 * resourceVersion it was read at. The objects travel as JSON untouched (no guard, no typed client),
 * as `kubectl get --raw | jq | kubectl replace --raw` sends them. A 409 (the shoot changed in
 * between: a health condition, an annotation) reads it again and tries again.
 */
import { isConflict, isStatusError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { RestClient } from '../client/rest-client.js';
import { MigrateError } from './migrate-error.js';

export interface Binding {
  /** `spec.seedName` before the binding. */
  from?: string;
  /** The shoot as the binding answered it. */
  resourceVersion?: string;
  attempts: number;
  /** The shoot named the target already: nothing was written. */
  alreadyBound: boolean;
}

/** How many times a conflict is met with a fresh read before giving up. */
export const BINDING_ATTEMPTS = 5;

type RawShoot = KubeObject & { spec?: { seedName?: string | null } };

export async function bindShoot(
  client: RestClient,
  names: { namespace: string; shoot: string; target: string },
  attempts = BINDING_ATTEMPTS,
): Promise<Binding> {
  const { namespace, shoot, target } = names;
  const path = `/apis/core.gardener.cloud/v1beta1/namespaces/${encodeURIComponent(namespace)}/shoots/${encodeURIComponent(shoot)}`;
  for (let attempt = 1; ; attempt++) {
    const current = await client.request<RawShoot>('GET', path);
    const from = current.spec?.seedName ?? undefined;
    if (from === target) {
      return { from, resourceVersion: current.metadata.resourceVersion, attempts: attempt, alreadyBound: true };
    }
    const bound = { ...current, spec: { ...current.spec, seedName: target } };
    try {
      const answer = await client.request<RawShoot>('PUT', `${path}/binding`, bound);
      return {
        ...(from ? { from } : {}),
        resourceVersion: answer?.metadata?.resourceVersion,
        attempts: attempt,
        alreadyBound: false,
      };
    } catch (err) {
      if (!isConflict(err)) {
        // A 4xx is the garden's answer (admission, RBAC); anything else is no answer at all.
        if (isStatusError(err) && err.code >= 400 && err.code < 500) {
          throw new MigrateError('error', `the garden refused the binding: ${err.message}`, { cause: err });
        }
        throw err;
      }
      if (attempt >= attempts) {
        throw new MigrateError(
          'error',
          `the binding met a conflict ${attempts} times (the shoot keeps changing): ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }
}
