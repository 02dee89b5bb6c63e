/**
 * The shoot's internal DNSRecord with the rfc2136 provider, against a real knotd: the component
 * deploys it (copying the internal domain's credentials), the extension controller publishes it
 * and reports Succeeded, a record of the loopback landscape is replaced by the internal domain's,
 * a wrong key shows as the record's lastError, and deleting it removes the name from the server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Shoot } from '../../src/api/core-gardener/shoot.js';
import { type DNSRecord, dnsRecordResource } from '../../src/api/extensions/dns-record.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import { Controller } from '../../src/controller/controller.js';
import { clientListWatch } from '../../src/controller/list-watch.js';
import { queryA } from '../../src/dns/rfc2136-client.js';
import type { TaskContext } from '../../src/flow/task-fn.js';
import { secretDefinition } from '../../src/registry/core/secret.js';
import { dnsRecordDefinition } from '../../src/registry/extensions/dns-record.js';
import { recordingActuator } from '../../src/seed/extensions/actuator.js';
import { byProviderType, rfc2136DnsRecordActuator } from '../../src/seed/extensions/dns-record-actuator.js';
import { ExtensionReconciler } from '../../src/seed/extensions/extension-controller.js';
import type { ComponentContext } from '../../src/seed/gardenlet/components/context.js';
import { internalDnsRecord } from '../../src/seed/gardenlet/components/dns-record.js';
import { Extension } from '../../src/seed/gardenlet/components/extension.js';
import type { ShootStateComponent } from '../../src/seed/gardenlet/components/shoot-state.js';
import { type InternalDomain, shootApiDomainName } from '../../src/seed/gardenlet/internal-domain.js';
import { ShootEndpoint } from '../../src/seed/gardenlet/shoot-endpoint.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { startTestKnot, type TestKnot } from '../helpers/knot.js';
import { storeClient } from '../helpers/store-client.js';

const NAMESPACE = 'shoot--dev--web';
const shoot = {
  metadata: { name: 'web', namespace: 'garden-dev', uid: '9f1c2b9e-0000-4000-8000-000000000002' },
  spec: {},
} as unknown as Shoot;
const ctx: TaskContext = { signal: new AbortController().signal, log: () => {} };

describe('the internal DNSRecord with the rfc2136 provider', () => {
  let t: TestKnot;
  const storage = openSqliteStore({ path: ':memory:' });
  const records = new GenericStore(dnsRecordDefinition, storage, new AdmissionChain([]));
  const secrets = new GenericStore(secretDefinition, storage, new AdmissionChain([]));
  const seed = storeClient([records, secrets]);
  const controller = new Controller({
    name: 'dnsrecords',
    source: clientListWatch(seed, dnsRecordResource),
    reconciler: new ExtensionReconciler({
      client: seed,
      resource: dnsRecordResource,
      actuator: byProviderType({ local: recordingActuator, rfc2136: rfc2136DnsRecordActuator(seed) }),
    }),
    logger: pino({ level: 'silent' }),
  });

  /** The component as a flow builds it, with or without the internal domain, serving on `address`. */
  const component = (internalDomain: InternalDomain | undefined, address: string) => {
    const c: ComponentContext = {
      shoot,
      namespace: NAMESPACE,
      seedName: 'seed-a',
      garden: seed,
      seed,
      endpoint: new ShootEndpoint(shoot, {
        poolAddress: address,
        dnsName: internalDomain ? shootApiDomainName(shoot, internalDomain.domain) : undefined,
      }),
      internalDomain,
      dnsRecordTtl: 30,
      etcdHosts: ['127.0.0.1', 'localhost'],
      seedObject: () => Promise.reject(new Error('not needed')),
      waitTimeoutMs: 10_000,
      logger: pino({ level: 'silent' }),
    };
    return new Extension(c, internalDnsRecord, undefined as unknown as ShootStateComponent);
  };
  const domain = (secret?: string): InternalDomain => ({
    domain: 'landscape.test',
    provider: 'rfc2136',
    data: Object.fromEntries(
      Object.entries({ ...t.knot.secretData(), ...(secret ? { TSIGSecret: secret } : {}) }).map(([k, v]) => [
        k,
        Buffer.from(v).toString('base64'),
      ]),
    ),
  });
  const NAME = 'api.web.dev.landscape.test';

  before(async () => {
    t = await startTestKnot();
    controller.start();
  });
  after(async () => {
    controller.stop();
    await storage.close();
    await t?.cleanup();
  });

  it('a record of the loopback landscape is replaced by the internal domain’s, which knotd then serves', async () => {
    const local = component(undefined, '10.20.0.1');
    await local.deploy(ctx);
    await local.wait(ctx);
    assert.equal((await local.get())?.spec.type, 'local');

    const published = component(domain(), '10.20.0.1');
    await published.deploy(ctx);
    await published.wait(ctx);
    const record = (await published.get()) as DNSRecord;
    assert.equal(record.spec.type, 'rfc2136');
    assert.equal(record.spec.name, NAME);
    assert.equal(record.spec.ttl, 30);
    assert.ok(await secrets.find(NAMESPACE, 'dnsrecord-internal'), 'the credentials are copied next to it');
    assert.deepEqual(await queryA(t.knot.server, NAME), ['10.20.0.1']);
  });

  it('a new address is published on the next deploy', async () => {
    const moved = component(domain(), '10.20.0.2');
    await moved.deploy(ctx);
    await moved.wait(ctx);
    assert.deepEqual(await queryA(t.knot.server, NAME), ['10.20.0.2']);
  });

  it("a wrong key shows in the record's lastError, and the server keeps what it had", async () => {
    const wrong = component(domain(Buffer.alloc(32, 1).toString('base64')), '10.20.0.3');
    await wrong.deploy(ctx);
    await assert.rejects(wrong.wait(ctx), /NOTAUTH \(TSIG BADSIG\)/);
    assert.deepEqual(await queryA(t.knot.server, NAME), ['10.20.0.2']);
  });

  it('deleting the record removes the name from the server', async () => {
    const fixed = component(domain(), '10.20.0.2');
    await fixed.deploy(ctx);
    await fixed.wait(ctx);
    await fixed.destroy(ctx);
    await fixed.waitCleanup(ctx);
    assert.deepEqual(await queryA(t.knot.server, NAME), []);
  });
});
