import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { dnsRecordResource } from '../../src/api/extensions/dns-record.js';
import { isRecord, type KubeObject } from '../../src/api/meta.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore, type RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { Controller } from '../../src/controller/controller.js';
import { clientListWatch } from '../../src/controller/list-watch.js';
import { dnsRecordDefinition } from '../../src/registry/extensions/dns-record.js';
import { recordingActuator } from '../../src/seed/extensions/actuator.js';
import { ExtensionReconciler } from '../../src/seed/extensions/extension-controller.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { storeClient } from '../helpers/store-client.js';

const ctx: RequestContext = { user: { name: 'test', groups: ['system:masters'] }, dryRun: false };
const storage = openSqliteStore({ path: ':memory:' });
const def = dnsRecordDefinition;
const store = new GenericStore(def, storage, new AdmissionChain([]));
const client = storeClient([store], ctx);
const controller = new Controller({
  name: 'dnsrecords',
  source: clientListWatch(client, dnsRecordResource),
  reconciler: new ExtensionReconciler({ client, resource: dnsRecordResource, actuator: recordingActuator }),
  logger: pino({ level: 'silent' }),
});
controller.start();

const ns = 'shoot--dev--a';
const operation = (obj: KubeObject | undefined) =>
  isRecord(obj?.status) && isRecord(obj.status.lastOperation)
    ? `${obj.status.lastOperation.type}/${obj.status.lastOperation.state}`
    : '';

async function until(check: (obj: KubeObject | undefined) => boolean, what: string): Promise<KubeObject | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const obj = await store.find(ns, 'internal');
    if (check(obj)) return obj;
    if (Date.now() > deadline) assert.fail(`timed out: ${what}; object: ${JSON.stringify(obj)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('extension controller (DNSRecord, local provider)', () => {
  after(async () => {
    controller.stop();
    await storage.close();
  });

  it('reconciles: finalizer, observedGeneration, Create Succeeded', async () => {
    await store.create(
      ns,
      {
        metadata: { name: 'internal' },
        spec: {
          type: 'local',
          name: 'api.a.dev.internal.local',
          recordType: 'A',
          values: ['127.64.0.9'],
          secretRef: { name: 'dns', namespace: ns },
        },
      },
      ctx,
    );
    const obj = await until((o) => operation(o) === 'Create/Succeeded', 'created');
    assert.deepEqual(obj!.metadata.finalizers, ['extensions.gardener.cloud/dnsrecord']);
    assert.equal((obj!.status as { observedGeneration: number }).observedGeneration, 1);
  });

  it('migrate saves the state, drops the finalizer and then the annotation', async () => {
    await store.patch(
      ns,
      'internal',
      '',
      'merge',
      { metadata: { annotations: { 'gardener.cloud/operation': 'migrate' } } },
      ctx,
    );
    const obj = await until(
      (o) => operation(o) === 'Migrate/Succeeded' && !o?.metadata.annotations?.['gardener.cloud/operation'],
      'migrated',
    );
    assert.equal(obj!.metadata.finalizers, undefined);
    assert.deepEqual((obj!.status as { state: { realisedSpec: { values: string[] } } }).state.realisedSpec.values, [
      '127.64.0.9',
    ]);
  });

  it('restore takes over again and removes the annotation', async () => {
    await store.patch(
      ns,
      'internal',
      '',
      'merge',
      { metadata: { annotations: { 'gardener.cloud/operation': 'restore' } } },
      ctx,
    );
    const obj = await until(
      (o) => operation(o) === 'Restore/Succeeded' && !o?.metadata.annotations?.['gardener.cloud/operation'],
      'restored',
    );
    assert.deepEqual(obj!.metadata.finalizers, ['extensions.gardener.cloud/dnsrecord']);
  });

  it('deletion releases the finalizer', async () => {
    await store.delete(ns, 'internal', ctx, {});
    await until((o) => o === undefined, 'deleted');
  });
});
