/**
 * Stores of the built-in kinds over an in-memory SQLite store, for tests that write objects as a
 * client would and look at what was stored, refused (with which causes) or printed.
 */
import assert from 'node:assert/strict';
import { isStatusError, type StatusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore, type RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { toTable } from '../../src/apiserver/table.js';
import { builtinDefinitions } from '../../src/registry/builtin/index.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

export const ctx: RequestContext = { user: { name: 'tester', groups: ['system:masters'] }, dryRun: false };
export const storage = openSqliteStore({ path: ':memory:' });
const admission = new AdmissionChain([]);

export function storeOf(group: string, plural: string, chain = admission): GenericStore {
  const def = builtinDefinitions.find((d) => d.group === group && d.plural === plural);
  assert.ok(def, `${plural}.${group}`);
  return new GenericStore(def, storage, chain);
}

/** The 422 (or other) a write is refused with; fails when it is not refused. */
export async function refused(promise: Promise<unknown>, code = 422): Promise<StatusError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStatusError(err), String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail('expected the write to be refused');
}

export function causes(err: StatusError): [string | undefined, string | undefined][] {
  return (err.status.details?.causes ?? []).map((c) => [c.field, c.type]);
}

/** The cells of one object's row, by column name. */
export function row(store: GenericStore, obj: KubeObject): Record<string, unknown> {
  const table = toTable(store.def, [obj], {}, { includeObject: 'None' });
  return Object.fromEntries(table.columnDefinitions!.map((c, i) => [c.name, table.rows[0]!.cells[i]]));
}

/** Stored JSON as the tests read it: any nested field, checked by the assertions themselves. */
// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary nested JSON of stored objects.
export type Doc = any;
