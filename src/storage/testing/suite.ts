/**
 * The conformance suite every `Storage` backend passes (apiserver's storage/testing): a backend's
 * test file calls `runStorageConformance` with a function that opens a fresh, empty store, and
 * the suite registers its node:test cases under `describe(name)`. The cases of each area live in
 * their own `*-cases.ts` file; this index runs them all, in this order.
 */
import { describe } from 'node:test';
import { createAndGetCases } from './create-get-cases.js';
import { deleteCases } from './delete-cases.js';
import { guaranteedUpdateCases } from './guaranteed-update-cases.js';
import { listCases } from './list-cases.js';
import { restartCases } from './restart-cases.js';
import { type OpenStorage, storageItFor } from './storage-it.js';
import { watchCases } from './watch-cases.js';

export type { OpenStorage, StorageUnderTest } from './storage-it.js';

/** What a backend can do beyond the interface; cases needing a missing capability are not registered. */
export interface StorageCapabilities {
  /** Its data outlives the store object (`reopen` is given). Default true. */
  persistent?: boolean;
}

export function runStorageConformance(name: string, open: OpenStorage, capabilities: StorageCapabilities = {}): void {
  const storageIt = storageItFor(open);
  describe(`${name}: storage conformance`, () => {
    createAndGetCases(storageIt);
    guaranteedUpdateCases(storageIt);
    deleteCases(storageIt);
    listCases(storageIt);
    watchCases(storageIt);
    if (capabilities.persistent !== false) restartCases(storageIt);
  });
}
