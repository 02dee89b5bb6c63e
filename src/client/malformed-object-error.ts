/**
 * Thrown by a client (`RestClient`, `InProcessClient`) when the server answers with an object
 * that is not of the resource's kind as its guard describes it (src/api/kind-guard.ts): a field
 * the code relies on has another type, or a value outside Gardener's closed set (a
 * `status.lastOperation.type` no controller wrote). Callers get this error, naming the object and
 * the field, instead of an object whose declared type would mislead them.
 *
 * It is a 500 InternalError `StatusError`, so that a request handler reading through a client
 * answers it like any other failure.
 */
import { StatusError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';

export class MalformedObjectError extends StatusError {
  /** The field that did not match and why, as the guard put it (`spec.seedName: must be a string, not number 5`). */
  readonly problem: string;

  constructor(resource: ResourceRef, obj: unknown, problem: string) {
    const { namespace, name } = (obj as Partial<KubeObject> | null)?.metadata ?? {};
    const key = namespace ? `${namespace}/${name ?? ''}` : (name ?? '<unnamed>');
    super({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message: `${resource.kind} ${key} is malformed: ${problem}`,
    });
    this.name = 'MalformedObjectError';
    this.problem = problem;
  }
}
