import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { badRequest, isStatusError, type StatusError } from '../../src/api/errors.js';
import { StorageError } from '../../src/storage/interface.js';
import {
  interpretCreateError,
  interpretDeleteError,
  interpretGetError,
  interpretListError,
  interpretUpdateError,
  interpretWatchError,
} from '../../src/storage/interpret-errors.js';

const shoots = { group: 'core.gardener.cloud', resource: 'shoots' };

function status(err: unknown): Pick<StatusError['status'], 'code' | 'reason' | 'message'> {
  assert.ok(isStatusError(err), `expected a StatusError, got ${String(err)}`);
  const { code, reason, message } = err.status;
  return { code, reason, message };
}

describe('interpret storage errors', () => {
  it('maps NotFound to 404 naming the object', () => {
    const err = new StorageError('NotFound', '/registry/shoots/garden/a');
    for (const interpret of [interpretGetError, interpretUpdateError, interpretDeleteError]) {
      assert.deepEqual(status(interpret(err, shoots, 'a')), {
        code: 404,
        reason: 'NotFound',
        message: 'shoots.core.gardener.cloud "a" not found',
      });
    }
  });

  it('maps KeyExists on create to 409 AlreadyExists', () => {
    assert.deepEqual(status(interpretCreateError(new StorageError('KeyExists', 'k'), shoots, 'a')), {
      code: 409,
      reason: 'AlreadyExists',
      message: 'shoots.core.gardener.cloud "a" already exists',
    });
  });

  it('maps Conflict on update and delete to 409 Conflict with the optimistic-lock reason', () => {
    const err = new StorageError('Conflict', 'k', 'Precondition failed: UID in precondition: x, UID in object meta: y');
    for (const interpret of [interpretUpdateError, interpretDeleteError]) {
      assert.deepEqual(status(interpret(err, shoots, 'a')), {
        code: 409,
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on shoots.core.gardener.cloud "a": the object has been modified; please apply your changes to the latest version and try again',
      });
    }
  });

  it('maps Expired on list and watch to 410 with the backend message', () => {
    const err = new StorageError('Expired', '/registry/shoots/', 'too old resource version: 5 (10)');
    for (const mapped of [interpretWatchError(err), interpretListError(err, shoots)]) {
      assert.deepEqual(status(mapped), { code: 410, reason: 'Expired', message: 'too old resource version: 5 (10)' });
    }
  });

  it('maps InvalidContinue on list to 400', () => {
    const err = new StorageError('InvalidContinue', '/registry/shoots/', 'continue key is not valid: garbage');
    assert.deepEqual(status(interpretListError(err, shoots)), {
      code: 400,
      reason: 'BadRequest',
      message: 'continue key is not valid: garbage',
    });
  });

  it('maps Unreachable to 503 and codes a verb does not expect to 500', () => {
    assert.equal(status(interpretGetError(new StorageError('Unreachable', 'k', 'etcd down'), shoots, 'a')).code, 503);
    assert.deepEqual(status(interpretGetError(new StorageError('Internal', 'k', 'disk I/O error'), shoots, 'a')), {
      code: 500,
      reason: 'InternalError',
      message: 'Internal error occurred: disk I/O error',
    });
    assert.equal(status(interpretCreateError(new StorageError('NotFound', 'k'), shoots, 'a')).code, 500);
    assert.equal(status(interpretWatchError(new StorageError('InvalidContinue', 'k'))).code, 500);
  });

  it('returns errors that are not storage errors unchanged', () => {
    const apiError = badRequest('bad');
    const plain = new TypeError('bug');
    assert.equal(interpretGetError(apiError, shoots, 'a'), apiError);
    assert.equal(interpretUpdateError(plain, shoots, 'a'), plain);
    assert.equal(interpretWatchError('text'), 'text');
  });
});
