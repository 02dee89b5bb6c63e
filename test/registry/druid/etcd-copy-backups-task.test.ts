import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  copyTaskFailed,
  copyTaskPhase,
  copyTaskSucceeded,
  etcdCopyBackupsTaskResource,
} from '../../../src/api/druid/index.js';
import type { FieldError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { AdmissionChain } from '../../../src/apiserver/admission.js';
import { mergePatch } from '../../../src/apiserver/patch.js';
import { GenericStore, type RequestContext } from '../../../src/apiserver/registry/generic-store.js';
import type { Strategy } from '../../../src/apiserver/types.js';
import { checked } from '../../../src/client/client.js';
import { etcdCopyBackupsTaskDefinition } from '../../../src/registry/druid/etcd-copy-backups-task.js';
import { openSqliteStore } from '../../../src/storage/sqlite/sqlite-store.js';
import {
  SAMPLE_BACKUP_ENTRY,
  SAMPLE_CONTROL_PLANE_NAMESPACE,
  sampleCopyTask,
  sampleFailedCopyTask,
} from '../../helpers/sample-objects.js';

const SHOOT = 'my-shoot';
const NS = SAMPLE_CONTROL_PLANE_NAMESPACE;
const ENTRY = SAMPLE_BACKUP_ENTRY;

function paths(errors: FieldError[]): [string, string][] {
  return errors.map((e) => [e.path, e.type]);
}

const statusStrategy: Strategy = etcdCopyBackupsTaskDefinition.subresources!.find((s) => s.name === 'status')!.strategy;

function created(obj: KubeObject): { obj: KubeObject; errors: FieldError[] } {
  const copy = structuredClone(obj);
  etcdCopyBackupsTaskDefinition.strategy.prepareForCreate!(copy);
  return { obj: copy, errors: etcdCopyBackupsTaskDefinition.strategy.validate!(copy) };
}

/** `date -Iseconds`, from the real command when there is one. */
function dateIseconds(): string {
  const date = spawnSync('date', ['-Iseconds'], { encoding: 'utf8' });
  return date.status === 0 && date.stdout.trim() !== '' ? date.stdout.trim() : '2026-11-23T19:40:00+00:00';
}

/**
 * The `-p` argument of the seed document's command after the shell has expanded it:
 * `-p "{\"status\":{\"conditions\":[{…,\"lastTransitionTime\":\"$(date -Iseconds)\",…}]}}"`.
 */
function seedDocumentPatch(now: string): unknown {
  const shellWord =
    '{\\"status\\":{\\"conditions\\":[{\\"type\\":\\"Succeeded\\",\\"status\\":\\"True\\",\\"reason\\":\\"manual copy successful\\",\\"message\\":\\"manual copy successful\\",\\"lastTransitionTime\\":\\"$(date -Iseconds)\\",\\"lastUpdateTime\\":\\"$(date -Iseconds)\\"}]}}';
  const expanded = shellWord.replaceAll('\\"', '"').replaceAll('$(date -Iseconds)', now);
  return JSON.parse(expanded);
}

describe('EtcdCopyBackupsTask', () => {
  it('validates the task Gardener creates and keeps unknown fields', () => {
    const { obj, errors } = created({ ...sampleCopyTask({ futureField: 1 }), status: { conditions: [] } });
    assert.deepEqual(errors, []);
    assert.equal(obj.status, undefined);
    assert.equal(obj.metadata.generation, 1);
    assert.equal((obj.spec as Record<string, unknown>).futureField, 1);
    assert.deepEqual(
      created(sampleCopyTask({ maxBackupAge: 7, maxBackups: 4_294_967_295, podLabels: undefined })).errors,
      [],
    );
    assert.deepEqual(created(sampleCopyTask({ waitForFinalSnapshot: { enabled: true, timeout: '0' } })).errors, []);
    assert.deepEqual(created(sampleCopyTask({ waitForFinalSnapshot: undefined })).errors, []);
  });

  it('rejects bad specs with the field paths of the stores', () => {
    const check = (spec: Record<string, unknown>) => paths(created(sampleCopyTask(spec)).errors);
    assert.deepEqual(check({ sourceStore: { container: 'source-bucket', prefix: 'p', secretRef: { name: 's' } } }), [
      ['spec.sourceStore.provider', 'FieldValueRequired'],
    ]);
    assert.deepEqual(check({ sourceStore: { provider: 'S3', container: 'b', prefix: 'p' } }), [
      ['spec.sourceStore.provider', 'FieldValueNotSupported'],
      ['spec.sourceStore.container', 'FieldValueInvalid'],
    ]);
    assert.deepEqual(check({ sourceStore: { provider: 's3', container: 'bucket', prefix: 'p' } }), [
      ['spec.sourceStore.secretRef.name', 'FieldValueRequired'],
    ]);
    assert.deepEqual(check({ targetStore: undefined }), [['spec.targetStore', 'FieldValueRequired']]);
    assert.deepEqual(check({ targetStore: { provider: 'local' } }), [
      ['spec.targetStore.container', 'FieldValueRequired'],
      ['spec.targetStore.prefix', 'FieldValueRequired'],
    ]);
    assert.deepEqual(
      check({ targetStore: { provider: 'local', container: 'bucket', prefix: 'p', endpointOverride: 'not a url' } }),
      [['spec.targetStore.endpointOverride', 'FieldValueInvalid']],
    );
    assert.deepEqual(check({ maxBackupAge: -1, maxBackups: 4_294_967_296 }), [
      ['spec.maxBackupAge', 'FieldValueInvalid'],
      ['spec.maxBackups', 'FieldValueInvalid'],
    ]);
    assert.deepEqual(check({ maxBackupAge: 1.5 }), [['spec.maxBackupAge', 'FieldValueTypeInvalid']]);
    assert.deepEqual(check({ waitForFinalSnapshot: { timeout: 'soon' } }), [
      ['spec.waitForFinalSnapshot.enabled', 'FieldValueRequired'],
      ['spec.waitForFinalSnapshot.timeout', 'FieldValueInvalid'],
    ]);
    assert.deepEqual(check({ podLabels: { 'bad key!': 'x' } }), [['spec.podLabels', 'FieldValueInvalid']]);
    assert.deepEqual(paths(created({ ...sampleCopyTask(), spec: undefined }).errors), [['spec', 'FieldValueRequired']]);
  });

  it('the spec is immutable after create; metadata may change', () => {
    const old: KubeObject = { ...sampleCopyTask(), metadata: { ...sampleCopyTask().metadata, generation: 1 } };
    const changed = sampleCopyTask({ maxBackups: 3 });
    changed.metadata.generation = 1;
    assert.deepEqual(paths(etcdCopyBackupsTaskDefinition.strategy.validateUpdate!(changed, old)), [
      ['spec', 'FieldImmutable'],
    ]);
    const finalized = structuredClone(old);
    finalized.metadata.finalizers = ['druid.gardener.cloud/etcd-druid'];
    etcdCopyBackupsTaskDefinition.strategy.prepareForUpdate!(finalized, old);
    assert.equal(finalized.metadata.generation, 1);
    assert.deepEqual(etcdCopyBackupsTaskDefinition.strategy.validateUpdate!(finalized, old), []);
  });

  it('prints the phase and both stores', () => {
    const failed = sampleFailedCopyTask();
    assert.deepEqual(
      Object.fromEntries(
        etcdCopyBackupsTaskDefinition.columns!.filter((c) => c.name !== 'AGE').map((c) => [c.name, c.cell(failed)]),
      ),
      {
        STATUS: 'Failed',
        SOURCE: `s3://source-bucket/${ENTRY}/etcd-main`,
        TARGET: `local://3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11/${ENTRY}/etcd-main`,
      },
    );
  });

  it('the seed document’s manual status patch validates, replaces the conditions and yields Succeeded', () => {
    const now = dateIseconds();
    const stored: KubeObject = {
      ...sampleCopyTask(),
      metadata: { ...sampleCopyTask().metadata, generation: 1, resourceVersion: '12', uid: 'u-1' },
      status: {
        observedGeneration: 1,
        conditions: [
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'no connectivity to the source' },
          { type: 'Succeeded', status: 'False', reason: 'JobFailed', message: 'copy failed' },
        ],
        lastError: 'dial tcp: i/o timeout',
      },
    };
    const next = mergePatch(structuredClone(stored), seedDocumentPatch(now)) as KubeObject;
    statusStrategy.prepareForUpdate!(next, stored);
    assert.deepEqual(statusStrategy.validateUpdate!(next, stored), []);
    assert.deepEqual((next.status as { conditions: unknown[] }).conditions, [
      {
        type: 'Succeeded',
        status: 'True',
        reason: 'manual copy successful',
        message: 'manual copy successful',
        lastTransitionTime: now,
        lastUpdateTime: now,
      },
    ]);
    // A client (the gardenlet's wait) reads the patched task through the guard.
    const task = checked(etcdCopyBackupsTaskResource, next);
    assert.ok(copyTaskSucceeded(task));
    assert.ok(!copyTaskFailed(task));
    assert.equal(copyTaskPhase(task), 'Succeeded');
    assert.deepEqual(next.spec, stored.spec);
    assert.equal(next.metadata.generation, 1);
    // The patch keeps the rest of the status (merge patch semantics).
    assert.equal(task.status?.lastError, 'dial tcp: i/o timeout');
    // With the offset spelled the other way, too.
    const plusTwo = mergePatch(structuredClone(stored), seedDocumentPatch('2026-11-23T21:40:00+02:00')) as KubeObject;
    statusStrategy.prepareForUpdate!(plusTwo, stored);
    assert.deepEqual(statusStrategy.validateUpdate!(plusTwo, stored), []);
    // A malformed timestamp is still rejected.
    const garbled = mergePatch(structuredClone(stored), seedDocumentPatch('23.11.2026 19:40')) as KubeObject;
    assert.deepEqual(paths(statusStrategy.validateUpdate!(garbled, stored)), [
      ['status.conditions[0].lastTransitionTime', 'FieldValueInvalid'],
      ['status.conditions[0].lastUpdateTime', 'FieldValueInvalid'],
    ]);
  });

  it('the same patch through the generic store: PATCH …/etcdcopybackupstasks/my-shoot/status', async () => {
    const storage = openSqliteStore({ path: ':memory:' });
    const store = new GenericStore(etcdCopyBackupsTaskDefinition, storage, new AdmissionChain([]));
    const ctx: RequestContext = { user: { name: 'operator', groups: ['system:masters'] }, dryRun: false };
    try {
      await store.create(NS, sampleCopyTask(), ctx);
      await store.patch(
        NS,
        SHOOT,
        'status',
        'merge',
        { status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'x' }] } },
        ctx,
      );
      const now = dateIseconds();
      const patched = await store.patch(NS, SHOOT, 'status', 'merge', seedDocumentPatch(now), ctx);
      assert.ok(copyTaskSucceeded(checked(etcdCopyBackupsTaskResource, patched)));
      assert.ok(!copyTaskFailed(checked(etcdCopyBackupsTaskResource, patched)));
      assert.equal((patched.status as { conditions: unknown[] }).conditions.length, 1);
      assert.equal(patched.metadata.generation, 1);
      const read = await store.get(NS, SHOOT);
      assert.ok(copyTaskSucceeded(checked(etcdCopyBackupsTaskResource, read)));
      // A spec change through the main resource is refused.
      await assert.rejects(store.patch(NS, SHOOT, '', 'merge', { spec: { maxBackups: 1 } }, ctx), (err: Error) =>
        /spec: Invalid value: .*field is immutable/.test(err.message),
      );
    } finally {
      await storage.close();
    }
  });
});
