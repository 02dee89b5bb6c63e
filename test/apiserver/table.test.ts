import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTable } from '../../src/apiserver/table.js';
import type { ResourceDefinition } from '../../src/apiserver/types.js';

const def = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  strategy: {},
} satisfies ResourceDefinition;

describe('tables', () => {
  it('rows carry the object’s metadata without managedFields, unless the whole object is asked for', () => {
    const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: {} }];
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns', managedFields } };
    const metadataRow = toTable(def, [obj], {}, { includeObject: 'Metadata' }).rows[0]!.object as {
      metadata: Record<string, unknown>;
    };
    assert.deepEqual(metadataRow.metadata, { name: 'a', namespace: 'ns' });
    assert.equal(toTable(def, [obj], {}, { includeObject: 'Object' }).rows[0]!.object, obj);
  });
});
