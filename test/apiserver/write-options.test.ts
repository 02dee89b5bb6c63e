import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStatusError } from '../../src/api/errors.js';
import { managerOfUserAgent, writeOptionsOf } from '../../src/apiserver/write-options.js';

function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isStatusError(err));
    assert.equal(err.code, 422);
    return err.message;
  }
  assert.fail('expected a 422');
}

describe('write options', () => {
  it('a write without fieldManager is recorded for the prefix of its User-Agent', () => {
    assert.equal(managerOfUserAgent('kubectl/v1.31.0 (linux/amd64) kubernetes/abc'), 'kubectl');
    assert.equal(managerOfUserAgent('kube-controller-manager/v1.31.0'), 'kube-controller-manager');
    assert.equal(managerOfUserAgent('bad\u0007agent/1'), 'badagent');
    assert.equal(managerOfUserAgent('x'.repeat(200)).length, 128);
    const options = writeOptionsOf(new URLSearchParams(''), 'CreateOptions', 'Go-http-client/2.0');
    assert.deepEqual(options, { dryRun: false, fieldManager: 'Go-http-client', force: false });
    assert.equal(
      writeOptionsOf(new URLSearchParams('fieldManager=kubectl-edit'), 'UpdateOptions', 'x').fieldManager,
      'kubectl-edit',
    );
  });

  it('apply needs a fieldManager; force is for apply only; as Kubernetes words it', () => {
    assert.equal(
      invalidMessage(() => writeOptionsOf(new URLSearchParams(''), 'PatchOptions', 'kubectl/v1', true)),
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    assert.equal(
      invalidMessage(() => writeOptionsOf(new URLSearchParams('force=true'), 'PatchOptions', 'kubectl/v1')),
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    const applied = writeOptionsOf(
      new URLSearchParams('fieldManager=flux&force=true&dryRun=All'),
      'PatchOptions',
      '',
      true,
    );
    assert.deepEqual(applied, { dryRun: true, fieldManager: 'flux', force: true });
  });

  it('refuses unprintable or overlong managers and unknown dryRun values', () => {
    assert.match(
      invalidMessage(() => writeOptionsOf(new URLSearchParams('fieldManager=a%07b'), 'CreateOptions', '')),
      /fieldManager: Invalid value: "a\\u0007b": invalid character U\+0007 \(at position 1\)/,
    );
    assert.match(
      invalidMessage(() => writeOptionsOf(new URLSearchParams(`fieldManager=${'m'.repeat(129)}`), 'CreateOptions', '')),
      /fieldManager: Too long/,
    );
    assert.match(
      invalidMessage(() => writeOptionsOf(new URLSearchParams('dryRun=Some'), 'DeleteOptions', '')),
      /dryRun: Unsupported value: "Some": supported values: "All"/,
    );
  });
});
