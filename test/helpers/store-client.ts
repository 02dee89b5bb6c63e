/**
 * A `Client` over bare `GenericStore`s, without an API server: what controller unit tests hand
 * their reconcilers, while the tests may go on reading and writing the stores themselves.
 */
import { InProcessClient } from '../../src/apiserver/in-process-client.js';
import type { GenericStore, RequestContext } from '../../src/apiserver/registry/generic-store.js';

/** A superuser, as the system user of a hosted API server is. */
export const testContext: RequestContext = { user: { name: 'test', groups: ['system:masters'] }, dryRun: false };

export function storeClient(stores: readonly GenericStore[], ctx: RequestContext = testContext): InProcessClient {
  return new InProcessClient((group, plural) => {
    const store = stores.find((s) => s.def.group === group && s.def.plural === plural);
    if (!store) throw new Error(`the test serves no ${plural}.${group}`);
    return store;
  }, ctx);
}
