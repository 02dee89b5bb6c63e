/**
 * The server's own reading of the objects it holds: table columns, field selectors and admission
 * read a stored object (or a request that passed its kind's validation) through the kind's
 * interface, without the kind's guard.
 *
 * Why not the guard: the server answers for every object in its store, also one that a client's
 * guard would refuse. The status subresource takes any string as `status.lastOperation.type` and
 * `state`, as Gardener's does, while the guards only let Gardener's values through. `kubectl get`
 * prints such an object's row as it always did (`Foo Bar (0%)`), a field selector still finds it,
 * and admission judges it as before; only the controllers, which would act on the value, refuse it
 * (src/client/client.ts `checked`). What the interfaces type besides those two strings is what
 * validation checks on every write, and the code here reads optional fields with `?.`; a table
 * cell that throws all the same prints `<unknown>` (src/apiserver/table.ts).
 */
import type { KubeObject } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';

/** `obj`, an object of `ref`'s kind held or validated by this server, as the kind's type (see above). */
export function storedAs<T extends KubeObject>(_ref: ResourceRef<T>, obj: KubeObject): T {
  return obj as T;
}
