/**
 * Where shoots are reached: the address pool (`--shoot-addresses`), the endpoint's URL and bind
 * address, and the garden's internal-domain Secret.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { namespaceResource } from '../../src/api/core/namespace.js';
import { secretResource } from '../../src/api/core/secret.js';
import type { Shoot } from '../../src/api/core-gardener/shoot.js';
import { type HostedApiServer, startHostedApiServer } from '../../src/hosting/hosted-api-server.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { internalDomainOf, readInternalDomain, shootApiDomainName } from '../../src/seed/gardenlet/internal-domain.js';
import { SHOOT_ADDRESS_ANNOTATION, ShootAddressPool } from '../../src/seed/gardenlet/shoot-address-pool.js';
import { ShootEndpoint } from '../../src/seed/gardenlet/shoot-endpoint.js';
import { stableApiAddress, stableApiPort } from '../../src/shoot/identity.js';

const shoot = (status?: object): Shoot =>
  ({
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: 'web', namespace: 'garden-dev', uid: '4a1c2b9e-0000-4000-8000-000000000001' },
    spec: {},
    ...(status ? { status } : {}),
  }) as unknown as Shoot;

describe('the shoot address pool', () => {
  it('parses lists and CIDRs (host addresses only), refusing what is not IPv4', () => {
    assert.deepEqual(ShootAddressPool.parse('10.0.0.5, 10.0.0.6').addresses, ['10.0.0.5', '10.0.0.6']);
    assert.deepEqual(ShootAddressPool.parse('10.0.1.0/30').addresses, ['10.0.1.1', '10.0.1.2']);
    assert.deepEqual(ShootAddressPool.parse('10.0.1.7/32,10.0.1.9').addresses, ['10.0.1.7', '10.0.1.9']);
    assert.equal(ShootAddressPool.parse('127.10.0.0/16').addresses.length, 65_534);
    assert.throws(() => ShootAddressPool.parse('10.0.0.300'), /not an IPv4 address or CIDR/);
    assert.throws(() => ShootAddressPool.parse('10.0.0.0/8'), /CIDR of \/16 to \/32/);
    assert.throws(() => ShootAddressPool.parse(''), /empty/);
  });

  describe('allocation on the control-plane namespaces', () => {
    let dir: string;
    let seed: HostedApiServer;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'transplant-address-pool-'));
      seed = await startHostedApiServer({
        name: 'seed-pool',
        fieldManager: 'gardenlet',
        dir,
        logger: pino({ level: 'silent' }),
        resources: coreDefinitions,
      });
    });
    after(async () => {
      await seed?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('gives concurrent shoots different addresses, each recorded on its namespace and kept', async () => {
      const pool = ShootAddressPool.parse('10.9.0.1,10.9.0.2,10.9.0.3');
      const names = ['shoot--dev--a', 'shoot--dev--b', 'shoot--dev--c'];
      const got = await Promise.all(names.map((n) => pool.ensure(seed.client, n, { 'gardener.cloud/role': 'shoot' })));
      assert.deepEqual([...got].sort(), ['10.9.0.1', '10.9.0.2', '10.9.0.3']);
      for (const [i, name] of names.entries()) {
        assert.equal(await pool.current(seed.client, name), got[i]);
        assert.equal(await pool.ensure(seed.client, name, {}), got[i], 'the same address again');
      }
      const ns = await seed.client.resource(namespaceResource).get('', names[0]!);
      assert.equal(ns.metadata.annotations?.[SHOOT_ADDRESS_ANNOTATION], got[0]);
      await assert.rejects(pool.ensure(seed.client, 'shoot--dev--d', {}), /every address .* \(3\) is taken/);
      assert.equal(await pool.current(seed.client, 'shoot--dev--d'), undefined);
    });
  });
});

describe("a seed's API server: listen address and advertised address", () => {
  it('listens on one, names the other in its kubeconfigs and its certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'transplant-advertise-'));
    const server = await startHostedApiServer({
      name: 'seed-adv',
      fieldManager: 'gardenlet',
      dir,
      host: '127.0.0.1',
      advertise: ['seed-adv.landscape.test'],
      logger: pino({ level: 'silent' }),
      resources: coreDefinitions,
    });
    try {
      assert.match(server.url, /^https:\/\/seed-adv\.landscape\.test:\d+$/);
      const kubeconfig = await readFile(
        await server.ensureKubeconfig(join(dir, 'admin.kubeconfig'), { name: 'a', groups: [] }),
        'utf8',
      );
      assert.ok(kubeconfig.includes(server.url));
      const cert = new X509Certificate(await readFile(join(dir, 'pki', 'apiserver.crt')));
      assert.match(cert.subjectAltName ?? '', /DNS:seed-adv\.landscape\.test/);
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("a shoot's endpoint", () => {
  const port = stableApiPort() === 443 ? '' : `:${stableApiPort()}`;

  it('without pool and domain: the recorded URL or the stable loopback address, served where it points', () => {
    const fresh = new ShootEndpoint(shoot());
    assert.equal(fresh.apiUrl, `https://${stableApiAddress(shoot())}:${stableApiPort()}`);
    assert.equal(fresh.bindAddress, stableApiAddress(shoot()));
    const recorded = new ShootEndpoint(
      shoot({ advertisedAddresses: [{ name: 'external', url: 'https://127.70.1.2:443' }] }),
    );
    assert.equal(recorded.bindAddress, '127.70.1.2');
  });

  it('with a pool address: served there and reached there', () => {
    const e = new ShootEndpoint(shoot(), { poolAddress: '10.9.0.4' });
    assert.equal(e.apiUrl, `https://10.9.0.4${port}`);
    assert.equal(e.bindAddress, '10.9.0.4');
  });

  it('with a DNS name: reached by the name, served on the pool or loopback address', () => {
    const name = shootApiDomainName(shoot(), 'landscape.test');
    assert.equal(name, 'api.web.dev.landscape.test');
    const e = new ShootEndpoint(shoot(), { poolAddress: '10.9.0.4', dnsName: name });
    assert.equal(e.apiUrl, `https://api.web.dev.landscape.test${port}`);
    assert.equal(e.vpnUrl, 'wss://api.web.dev.landscape.test:8132');
    assert.equal(e.bindAddress, '10.9.0.4');
    assert.equal(new ShootEndpoint(shoot(), { dnsName: name }).bindAddress, stableApiAddress(shoot()));
  });
});

describe("the garden's internal-domain secret", () => {
  const secret = (annotations: Record<string, string>) => ({
    metadata: { name: 'internal-domain', namespace: 'garden', annotations },
    data: { Server: 'MTI3LjAuMC4xOjUz' },
  });

  it('gives the domain, the provider and the credentials', () => {
    const d = internalDomainOf(
      secret({ 'dns.gardener.cloud/provider': 'rfc2136', 'dns.gardener.cloud/domain': 'landscape.test.' }),
    );
    assert.deepEqual(d, { domain: 'landscape.test', provider: 'rfc2136', data: { Server: 'MTI3LjAuMC4xOjUz' } });
  });

  it('names what is wrong with an unusable one', () => {
    assert.throws(
      () => internalDomainOf(secret({ 'dns.gardener.cloud/provider': 'rfc2136' })),
      /no annotation dns\.gardener\.cloud\/domain/,
    );
    assert.throws(
      () =>
        internalDomainOf(
          secret({ 'dns.gardener.cloud/provider': 'aws-route53', 'dns.gardener.cloud/domain': 'x.test' }),
        ),
      /DNS provider "aws-route53" is not supported/,
    );
  });
});

describe('which internal-domain secret the gardenlet uses', () => {
  let dir: string;
  let garden: HostedApiServer;
  const create = (name: string, provider: string) =>
    garden.client.resource(secretResource).create('garden', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: 'garden',
        labels: { 'gardener.cloud/role': 'internal-domain' },
        annotations: { 'dns.gardener.cloud/provider': provider, 'dns.gardener.cloud/domain': `${name}.test` },
      },
    });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-internal-domain-'));
    garden = await startHostedApiServer({
      name: 'garden-domain',
      fieldManager: 'test',
      dir,
      logger: pino({ level: 'silent' }),
      resources: coreDefinitions,
    });
  });
  after(async () => {
    await garden?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("ignores the local provider's secret (the loopback landscape's), uses the one with a DNS server, refuses two", async () => {
    await create('internal-domain-local', 'local');
    assert.equal(await readInternalDomain(garden.client), undefined);
    await create('internal-domain', 'rfc2136');
    assert.equal((await readInternalDomain(garden.client))?.domain, 'internal-domain.test');
    await create('internal-domain-2', 'rfc2136');
    await assert.rejects(
      () => readInternalDomain(garden.client),
      /2 internal-domain secrets \(garden\/internal-domain, garden\/internal-domain-2\); keep one/,
    );
  });
});
