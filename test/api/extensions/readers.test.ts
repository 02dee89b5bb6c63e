import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EXTENSION_OPERATIONS,
  type ExtensionObject,
  extensionNotReadyReason,
  extensionOperation,
  GARDENER_OPERATION_ANNOTATION,
  isExtensionMigrated,
  isExtensionOperation,
  isExtensionReady,
  OPERATION_MIGRATE,
  OPERATION_RECONCILE,
  OPERATION_RESTORE,
  OPERATION_WAIT_FOR_STATE,
} from '../../../src/api/extensions/index.js';
import {
  sampleExtensionObjects,
  SAMPLE_SUCCEEDED_EXTENSION_STATUS as succeeded,
} from '../../helpers/sample-objects.js';

describe('extension operations', () => {
  it('exports the operation annotation and its values', () => {
    assert.equal(GARDENER_OPERATION_ANNOTATION, 'gardener.cloud/operation');
    assert.deepEqual(
      [OPERATION_RECONCILE, OPERATION_MIGRATE, OPERATION_RESTORE, OPERATION_WAIT_FOR_STATE],
      ['reconcile', 'migrate', 'restore', 'wait-for-state'],
    );
    assert.deepEqual([...EXTENSION_OPERATIONS], ['reconcile', 'migrate', 'restore', 'wait-for-state']);
    assert.ok(isExtensionOperation('wait-for-state'));
    assert.ok(!isExtensionOperation('retry'));
  });
});

describe('readiness readers', () => {
  const base = {
    ...sampleExtensionObjects.Infrastructure!,
    metadata: { ...sampleExtensionObjects.Infrastructure!.metadata, generation: 2 },
    spec: { type: 'local' },
  } satisfies ExtensionObject;

  it('extensionNotReadyReason follows Gardener’s CheckExtensionObject', () => {
    assert.equal(extensionNotReadyReason(base), 'observed generation outdated (0/2)');
    const observed = { ...base, status: { observedGeneration: 2 } };
    assert.equal(extensionNotReadyReason(observed), 'extension did not record a last operation yet');
    const processing: ExtensionObject = {
      ...base,
      status: { observedGeneration: 2, lastOperation: { type: 'Reconcile', state: 'Processing' } },
    };
    assert.equal(extensionNotReadyReason(processing), 'extension state is not succeeded but Processing');
    const ready: ExtensionObject = { ...base, status: { ...succeeded, observedGeneration: 2 } };
    assert.equal(extensionNotReadyReason(ready), undefined);
    assert.ok(isExtensionReady(ready));
    const pending = structuredClone(ready);
    pending.metadata.annotations = { [GARDENER_OPERATION_ANNOTATION]: 'restore' };
    assert.equal(extensionNotReadyReason(pending), 'gardener operation "restore" is not yet picked up by controller');
    const failed = { ...ready, status: { ...ready.status, lastError: { description: 'boom' } } };
    assert.equal(extensionNotReadyReason(failed), 'error during reconciliation: boom');
    assert.ok(!isExtensionMigrated(ready));
    assert.equal(extensionOperation({ metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: '' } } }), undefined);
  });
});
