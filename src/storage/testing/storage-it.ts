/**
 * One conformance case's life: a fresh store from the backend's `open`, an optional restart that
 * replaces it, and closing and cleanup however the case ends. Every area file registers its
 * cases through the `StorageIt` this builds, so none of them repeats that lifecycle.
 */
import { it, type TestContext } from 'node:test';
import type { Storage } from '../interface.js';

export interface StorageUnderTest {
  /** A fresh store with no objects. The suite closes it, possibly twice: `close()` must be idempotent. */
  store: Storage;
  /** Opens the same data again after the suite closed the previous store; restart cases need it. */
  reopen?: () => Promise<Storage>;
  /** Removes what `open` created, after the suite closed the store. */
  cleanup: () => Promise<void>;
}

export type OpenStorage = () => Promise<StorageUnderTest>;

/** What a case gets: the open store, and a restart that replaces it (when the backend can). */
export interface CaseContext {
  store: Storage;
  restart?: () => Promise<Storage>;
}

/** Registers one case (node:test `it`) that runs on a freshly opened store. */
export type StorageIt = (title: string, body: (ctx: CaseContext, t: TestContext) => Promise<void>) => void;

export function storageItFor(open: OpenStorage): StorageIt {
  return (title, body) =>
    it(title, async (t) => {
      const opened = await open();
      let store = opened.store;
      const { reopen } = opened;
      const restart = reopen
        ? async () => {
            await store.close();
            store = await reopen();
            return store;
          }
        : undefined;
      try {
        await body({ store, restart }, t);
      } finally {
        await store.close();
        await opened.cleanup();
      }
    });
}
