/**
 * The controller against real stores (through the in-process client): declared watches enqueue
 * the keys their map returns for every add, update and delete of a watched object — objects
 * that existed before the start included — and a failing key is retried after the delays of the
 * controller's rate limiter, which forgets it once a reconcile succeeds; during that backoff only
 * a change of what `retryTrigger` covers, or a watched object's change, retries at once — not the
 * reconciler's own writes to the object. One malformed object of a typed kind stops nobody: the
 * controller's informers read objects unchecked, and only that object's reconcile meets the
 * kind guard's error.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { configMapResource } from '../../src/api/core/config-map.js';
import { secretResource } from '../../src/api/core/secret.js';
import { seedResource } from '../../src/api/core-gardener/seed.js';
import type { KubeObject } from '../../src/api/meta.js';
import { unchecked } from '../../src/api/resource-ref.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { Controller, type ObjectKey, type Reconciler } from '../../src/controller/controller.js';
import { clientListWatch } from '../../src/controller/list-watch.js';
import { ItemExponentialFailureRateLimiter } from '../../src/controller/rate-limiter.js';
import { configMapDefinition } from '../../src/registry/core/config-map.js';
import { secretDefinition } from '../../src/registry/core/secret.js';
import { seedDefinition } from '../../src/registry/core-gardener/seed.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { until } from '../helpers/processes.js';
import { storeClient } from '../helpers/store-client.js';

const NS = 'default';
const logger = pino({ level: 'silent' });
/** On a Secret: the ConfigMap it belongs to. */
const OWNER_LABEL = 'example.io/configmap';

const storage = openSqliteStore({ path: ':memory:' });
const client = storeClient([
  new GenericStore(configMapDefinition, storage, new AdmissionChain([])),
  new GenericStore(secretDefinition, storage, new AdmissionChain([])),
  new GenericStore(seedDefinition, storage, new AdmissionChain([])),
]);
const configMaps = client.resource(configMapResource);
const secrets = client.resource(secretResource);

/** A reconciler that records the keys it is asked about, failing for the first `failures` of each. */
function recordingReconciler(failures = 0): Reconciler & { keys: string[]; at: number[] } {
  const keys: string[] = [];
  const at: number[] = [];
  return {
    keys,
    at,
    async reconcile(key: ObjectKey) {
      keys.push(`${key.namespace}/${key.name}`);
      at.push(Date.now());
      if (keys.length <= failures) throw new Error(`failure ${keys.length}`);
      return {};
    },
  };
}

const ownerOf = (secret: KubeObject): ObjectKey[] => {
  const owner = secret.metadata.labels?.[OWNER_LABEL];
  return owner ? [{ namespace: secret.metadata.namespace ?? '', name: owner }] : [];
};

describe('Controller', () => {
  after(async () => {
    await storage.close();
  });

  it('enqueues what a watch maps every added, updated and deleted watched object to', async () => {
    await secrets.create(NS, { metadata: { name: 'before-start', labels: { [OWNER_LABEL]: 'old' } } });
    const reconciler = recordingReconciler();
    const controller = new Controller({
      name: 'configmaps',
      source: clientListWatch(client, configMapResource, NS),
      watches: [{ source: clientListWatch(client, secretResource, NS), map: ownerOf }],
      reconciler,
      logger,
    });
    controller.start();
    try {
      await controller.synced();
      await until(async () => reconciler.keys.includes('default/old'), 5_000, 'a watched object listed at start');

      const seen = () => reconciler.keys.filter((k) => k === 'default/app').length;
      await secrets.create(NS, { metadata: { name: 's', labels: { [OWNER_LABEL]: 'app' } } });
      await until(async () => seen() === 1, 5_000, 'an added watched object');
      await secrets.patch(NS, 's', { data: { k: 'dg==' } });
      await until(async () => seen() === 2, 5_000, 'an updated watched object');
      await secrets.delete(NS, 's');
      await until(async () => seen() === 3, 5_000, 'a deleted watched object');

      await secrets.create(NS, { metadata: { name: 'unowned' } });
      await configMaps.create(NS, { metadata: { name: 'own' } });
      await until(async () => reconciler.keys.includes('default/own'), 5_000, "the controller's own object");
      assert.equal(seen(), 3, 'an object mapped to nothing enqueues nothing');
      assert.ok(!reconciler.keys.includes('default/unowned'));
    } finally {
      controller.stop();
    }
  });

  it('drops events whose relevantState is the last one seen of the key; a deletion always counts', async () => {
    const IGNORED = 'example.io/reported';
    const reconciler = recordingReconciler();
    const controller = new Controller({
      name: 'configmaps-relevant',
      source: clientListWatch(client, configMapResource, NS),
      reconciler,
      logger,
      relevantState: (cm) => JSON.stringify({ data: (cm as { data?: unknown }).data, labels: cm.metadata.labels }),
    });
    controller.start();
    try {
      await controller.synced();
      const seen = () => reconciler.keys.filter((k) => k === 'default/relevant').length;
      await configMaps.create(NS, { metadata: { name: 'relevant' }, data: { a: '1' } });
      await until(async () => seen() === 1, 5_000, 'the added object');
      // Only the ignored annotation changes: no reconcile. A later relevant change is seen.
      await configMaps.patch(NS, 'relevant', { metadata: { annotations: { [IGNORED]: 'one' } } });
      await configMaps.patch(NS, 'relevant', { metadata: { annotations: { [IGNORED]: 'two' } } });
      await configMaps.patch(NS, 'relevant', { data: { a: '2' } });
      await until(async () => seen() === 2, 5_000, 'the relevant change');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(seen(), 2, 'the annotation-only updates cost no reconcile');
      await configMaps.delete(NS, 'relevant');
      await until(async () => seen() === 3, 5_000, 'the deletion');
      // Created again with the very same content: a new object, reconciled.
      await configMaps.create(NS, { metadata: { name: 'relevant' }, data: { a: '2' } });
      await until(async () => seen() === 4, 5_000, 'the object created again');
    } finally {
      controller.stop();
    }
  });

  it("retries a failing key after its rate limiter's delays and forgets them on success", async () => {
    const rateLimiter = new ItemExponentialFailureRateLimiter({ baseDelayMs: 40, maxDelayMs: 80 });
    const reconciler = recordingReconciler(3);
    const controller = new Controller({
      name: 'retries',
      source: clientListWatch(client, configMapResource, NS, { labelSelector: 'retry=yes' }),
      reconciler,
      logger,
      rateLimiter,
    });
    controller.start();
    try {
      await configMaps.create(NS, { metadata: { name: 'flaky', labels: { retry: 'yes' } } });
      await until(async () => reconciler.keys.length === 4, 5_000, 'three failures and a success');
      const gaps = reconciler.at.slice(1).map((t, i) => t - reconciler.at[i]!);
      for (const [i, wanted] of [40, 80, 80].entries()) {
        assert.ok(gaps[i]! >= wanted - 5, `retry ${i + 1} after ${gaps[i]} ms, wanted ${wanted} ms`);
      }
      assert.equal(rateLimiter.failures('default/flaky'), 0, 'a success forgets the failures');
    } finally {
      controller.stop();
    }
  });

  it('a failed key waits out its backoff despite its own writes; a retry-trigger change or a watched object ends the wait', async () => {
    const BACKOFF_MS = 1_500;
    const at: number[] = [];
    const reconciler: Reconciler = {
      async reconcile(key) {
        // Other tests' secrets map to other keys: only this test's object counts.
        if (key.name !== 'failing') return {};
        at.push(Date.now());
        // As a failing flow does: it writes its failure into the object, then fails.
        await configMaps.patch(key.namespace, key.name, { data: { attempt: String(at.length) } });
        throw new Error(`attempt ${at.length} failed`);
      },
    };
    const controller = new Controller({
      name: 'trigger',
      source: clientListWatch(client, configMapResource, NS, { labelSelector: 'trigger=yes' }),
      watches: [{ source: clientListWatch(client, secretResource, NS), map: ownerOf }],
      reconciler,
      logger,
      rateLimiter: new ItemExponentialFailureRateLimiter({ baseDelayMs: BACKOFF_MS, maxDelayMs: BACKOFF_MS }),
      retryTrigger: (obj) => JSON.stringify(obj.metadata.annotations ?? {}),
    });
    controller.start();
    try {
      await configMaps.create(NS, { metadata: { name: 'failing', labels: { trigger: 'yes' } } });
      await until(async () => at.length === 2, 5_000, 'the first retry');
      assert.ok(at[1]! - at[0]! >= BACKOFF_MS - 5, `its own write did not retry it early (${at[1]! - at[0]!} ms)`);

      await new Promise((resolve) => setTimeout(resolve, 200));
      const edited = Date.now();
      await configMaps.patch(NS, 'failing', { metadata: { annotations: { operator: 'edit' } } });
      await until(async () => at.length === 3, 5_000, 'a retry after the edit');
      assert.ok(at[2]! - edited < BACKOFF_MS / 2, `the edit retried it at once (${at[2]! - edited} ms)`);

      await new Promise((resolve) => setTimeout(resolve, 200));
      const told = Date.now();
      await secrets.create(NS, { metadata: { name: 'news', labels: { [OWNER_LABEL]: 'failing' } } });
      await until(async () => at.length === 4, 5_000, 'a retry after the watched object');
      assert.ok(at[3]! - told < BACKOFF_MS / 2, `the watched object retried it at once (${at[3]! - told} ms)`);
    } finally {
      controller.stop();
    }
  });

  it('one malformed object of a typed kind stops only its own reconciles', async () => {
    const seeds = client.resource(seedResource);
    const spec = { provider: { type: 'local', region: 'local' }, ingress: { domain: 'x.example' } };
    for (const name of ['good', 'bad']) await seeds.create('', { metadata: { name }, spec });
    // The status subresource stores any lastOperation type; the Seed's guard accepts only Gardener's.
    const status = { lastOperation: { type: 'Foo', state: 'Succeeded' } };
    await client.resource(unchecked(seedResource)).patch('', 'bad', { status }, { subresource: 'status' });
    const reconciled: string[] = [];
    const failed: string[] = [];
    const controller = new Controller({
      name: 'seeds',
      source: clientListWatch(client, seedResource),
      reconciler: {
        async reconcile(key) {
          try {
            const seed = await seeds.get(key.namespace, key.name);
            reconciled.push(`${seed.metadata.name} ${seed.metadata.labels?.round ?? ''}`.trim());
          } catch (err) {
            failed.push(`${key.name}: ${(err as Error).message}`);
            throw err;
          }
          return {};
        },
      },
      logger,
    });
    controller.start();
    try {
      await until(async () => reconciled.includes('good') && failed.length > 0, 5_000, 'both seeds looked at');
      assert.match(failed[0]!, /^bad: Seed bad is malformed: status\.lastOperation\.type: "Foo"/);
      await seeds.patch('', 'good', { metadata: { labels: { round: 'two' } } });
      await until(async () => reconciled.includes('good two'), 5_000, 'the good seed still reconciled after a change');
    } finally {
      controller.stop();
    }
  });
  it('idle() waits for the reconciles under way after stop(), which they are told through their signal', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sawAbort = false;
    let started = false;
    const controller = new Controller({
      name: 'slow',
      source: clientListWatch(client, configMapResource, 'slow'),
      reconciler: {
        async reconcile(_key: ObjectKey, signal?: AbortSignal) {
          started = true;
          await released;
          sawAbort = signal?.aborted === true;
          return {};
        },
      },
      logger,
    });
    await configMaps.create('slow', { metadata: { name: 'one' } });
    controller.start();
    await until(async () => started, 5_000, 'the reconcile runs');
    controller.stop();
    let idle = false;
    const waiting = controller.idle().then(() => {
      idle = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(idle, false, 'idle while a reconcile still runs');
    release();
    await waiting;
    assert.equal(sawAbort, true);
  });

  it('a reconcile that fails once the controller stopped is neither warned of nor retried', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const lines: { level: number; msg: string }[] = [];
    const recording = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const controller = new Controller({
      name: 'cut-short',
      source: clientListWatch(client, configMapResource, 'cut-short'),
      reconciler: {
        async reconcile() {
          calls++;
          await released;
          throw new Error('socket hang up');
        },
      },
      logger: recording,
      rateLimiter: new ItemExponentialFailureRateLimiter({ baseDelayMs: 1, maxDelayMs: 1 }),
    });
    await configMaps.create('cut-short', { metadata: { name: 'one' } });
    controller.start();
    await until(async () => calls === 1, 5_000, 'the reconcile runs');
    controller.stop();
    release();
    await controller.idle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(calls, 1, 'not retried');
    assert.deepEqual(
      lines.filter((l) => l.level >= 40).map((l) => l.msg),
      [],
      'no warning',
    );
    assert.ok(lines.some((l) => l.msg === 'reconcile ended by the controller stopping'));
  });

  it('starts no reconcile for a key enqueued just before stop()', async () => {
    const reconciler = recordingReconciler();
    const controller = new Controller({
      name: 'stopped-early',
      source: clientListWatch(client, configMapResource, 'stopped-early'),
      reconciler,
      logger,
    });
    controller.enqueue({ namespace: 'stopped-early', name: 'one' });
    controller.stop();
    await controller.idle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(reconciler.keys, []);
  });
});
