import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  credentialsAfterSuccess,
  credentialsAfterTakingOn,
  credentialsMergePatch,
  isRotationOperation,
  rotationInProgress,
  type ShootCredentials,
  validateShootOperation,
} from '../../../src/api/core-gardener/shoot-operation.js';
import type { KubeObject } from '../../../src/api/meta.js';

const OP = 'gardener.cloud/operation';
const PATH = `metadata.annotations[${OP}]`;

function shoot(operation: string | undefined, status: Record<string, unknown> = {}, hibernated = false): KubeObject {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: 's', namespace: 'garden-dev', ...(operation ? { annotations: { [OP]: operation } } : {}) },
    spec: hibernated ? { hibernation: { enabled: true } } : {},
    status: { lastOperation: { type: 'Reconcile', state: 'Succeeded' }, ...status },
  };
}

const phases = (ca: string, sa: string): ShootCredentials =>
  ({
    rotation: { certificateAuthorities: { phase: ca }, serviceAccountKey: { phase: sa } },
  }) as ShootCredentials;

describe('gardener.cloud/operation on a Shoot', () => {
  it('refuses an unknown value as NotSupported on the annotation, listing the supported ones', () => {
    const [err, ...rest] = validateShootOperation(shoot('rotate-everything'));
    assert.equal(rest.length, 0);
    assert.equal(err!.type, 'FieldValueNotSupported');
    assert.equal(err!.path, PATH);
    assert.match(err!.message, /"rotate-credentials-start"/);
  });

  it('accepts reconcile, retry and a start on a reconciled shoot', () => {
    for (const op of ['reconcile', 'retry', 'rotate-credentials-start', 'rotate-ca-start']) {
      assert.deepEqual(validateShootOperation(shoot(op)), [], op);
    }
  });

  it('checks only a value that is new or changed, so a stored one never blocks other writes', () => {
    const stored = shoot('rotate-credentials-start', { credentials: phases('Preparing', 'Preparing') });
    assert.deepEqual(validateShootOperation(stored, stored), []);
    assert.equal(validateShootOperation(stored, shoot(undefined)).length, 2);
  });

  it("forbids in Gardener's words: a start under way, a complete before Prepared, a start before creation", () => {
    const messages = (obj: KubeObject) => validateShootOperation(obj).map((e) => `${e.type} ${e.message}`);
    assert.deepEqual(messages(shoot('rotate-ca-start', { credentials: phases('Prepared', 'Completed') })), [
      "FieldValueForbidden Forbidden: cannot start rotation of CA if .status.credentials.rotation.certificateAuthorities.phase is not 'Completed'",
    ]);
    assert.deepEqual(messages(shoot('rotate-credentials-complete', { credentials: phases('Prepared', 'Preparing') })), [
      "FieldValueForbidden Forbidden: cannot complete rotation of all credentials if .status.credentials.rotation.serviceAccountKey.phase is not 'Prepared'",
    ]);
    const creating = shoot('rotate-credentials-start', { lastOperation: { type: 'Create', state: 'Processing' } });
    assert.match(messages(creating)[0]!, /cannot start rotation of all credentials if shoot was not yet created/);
  });

  it('forbids rotating all credentials or the service-account key of a hibernated shoot, not the CAs', () => {
    assert.match(
      validateShootOperation(shoot('rotate-credentials-start', {}, true))[0]!.message,
      /operation is not permitted when shoot is hibernated/,
    );
    assert.deepEqual(validateShootOperation(shoot('rotate-ca-start', {}, true)), []);
  });

  it('tells rotations (kept for the gardenlet) from reconcile and retry (consumed by the API server)', () => {
    assert.equal(isRotationOperation('rotate-serviceaccount-key-complete'), true);
    assert.equal(isRotationOperation('reconcile'), false);
    assert.equal(isRotationOperation(undefined), false);
  });
});

describe('the two-phase rotation state machine', () => {
  const t0 = '2026-01-01T00:00:00Z';
  const t1 = '2026-01-01T00:01:00Z';

  it('start → Preparing → Prepared, complete → Completing → Completed, with Gardener timestamps', () => {
    const preparing = credentialsAfterTakingOn({}, 'rotate-credentials-start', t0)!;
    assert.deepEqual(preparing.rotation, {
      certificateAuthorities: { phase: 'Preparing', lastInitiationTime: t0 },
      serviceAccountKey: { phase: 'Preparing', lastInitiationTime: t0 },
    });
    assert.equal(rotationInProgress(preparing), true);
    const prepared = credentialsAfterSuccess(preparing, t1);
    assert.deepEqual(prepared.rotation?.certificateAuthorities, {
      phase: 'Prepared',
      lastInitiationTime: t0,
      lastInitiationFinishedTime: t1,
    });
    assert.equal(rotationInProgress(prepared), false);
    const completing = credentialsAfterTakingOn(prepared, 'rotate-ca-complete', t1)!;
    assert.equal(completing.rotation?.certificateAuthorities?.phase, 'Completing');
    assert.equal(completing.rotation?.certificateAuthorities?.lastCompletionTriggeredTime, t1);
    assert.equal(completing.rotation?.serviceAccountKey?.phase, 'Prepared', 'rotate-ca-complete leaves the key');
    const completed = credentialsAfterSuccess(completing, t1);
    assert.deepEqual(completed.rotation?.certificateAuthorities, {
      phase: 'Completed',
      lastInitiationTime: t0,
      lastCompletionTime: t1,
    });
    assert.deepEqual(credentialsMergePatch(completing, completed).rotation?.certificateAuthorities, {
      lastInitiationFinishedTime: null,
      lastCompletionTriggeredTime: null,
      phase: 'Completed',
      lastInitiationTime: t0,
      lastCompletionTime: t1,
    });
  });

  it('taking the same annotation on again (a crash before it was dropped) changes nothing', () => {
    const once = credentialsAfterTakingOn({}, 'rotate-ca-start', t0)!;
    assert.deepEqual(credentialsAfterTakingOn(once, 'rotate-ca-start', t1), once);
    const prepared = credentialsAfterSuccess(once, t1);
    const completing = credentialsAfterTakingOn(prepared, 'rotate-ca-complete', t1)!;
    assert.deepEqual(credentialsAfterTakingOn(completing, 'rotate-ca-complete', t1), completing);
  });

  it('a new start after a completed rotation begins again and drops the old finish time', () => {
    const completed = credentialsAfterSuccess(
      credentialsAfterTakingOn(
        credentialsAfterSuccess(credentialsAfterTakingOn({}, 'rotate-ca-start', t0)!, t0),
        'rotate-ca-complete',
        t0,
      )!,
      t0,
    );
    const again = credentialsAfterTakingOn(completed, 'rotate-ca-start', t1)!;
    assert.equal(again.rotation?.certificateAuthorities?.phase, 'Preparing');
    assert.equal(again.rotation?.certificateAuthorities?.lastInitiationTime, t1);
    assert.equal(again.rotation?.certificateAuthorities?.lastInitiationFinishedTime, undefined);
    assert.equal(again.rotation?.certificateAuthorities?.lastCompletionTime, t0, 'the last completion is history');
  });

  it('reconcile, retry and no annotation are not rotations', () => {
    for (const op of ['reconcile', 'retry', undefined]) assert.equal(credentialsAfterTakingOn({}, op, t0), undefined);
  });
});
