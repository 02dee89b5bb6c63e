/**
 * The credentials rotation inside "Initializing secrets management" against real stores: a
 * Preparing rotation persists the new CAs in the ShootState before the step ends; a Completing
 * one promotes them, also after a crash half-way and when it resumes on another seed from the
 * ShootState alone; the new CA is never missing from the ShootState.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { secretResource } from '../../src/api/core/secret.js';
import type { Shoot } from '../../src/api/core-gardener/shoot.js';
import type { CredentialsRotationPhase } from '../../src/api/core-gardener/shoot-operation.js';
import { shootStateResource } from '../../src/api/core-gardener/shoot-state.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import type { TaskContext } from '../../src/flow/task-fn.js';
import { secretDefinition } from '../../src/registry/core/secret.js';
import { shootStateDefinition } from '../../src/registry/core-gardener/shoot-state.js';
import type { ComponentContext } from '../../src/seed/gardenlet/components/context.js';
import {
  ETCD_PEER_SERVER_SECRET,
  etcdCertificateHosts,
  SecretsManager,
} from '../../src/seed/gardenlet/components/secrets.js';
import { ShootStateComponent } from '../../src/seed/gardenlet/components/shoot-state.js';
import { ShootEndpoint } from '../../src/seed/gardenlet/shoot-endpoint.js';
import { clusterCaBundle } from '../../src/shoot/credentials-rotation.js';
import { secretObjectsFromShootState } from '../../src/shoot/shoot-secrets.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { storeClient } from '../helpers/store-client.js';

const NAMESPACE = 'shoot--dev--rot';
const ctx: TaskContext = { signal: new AbortController().signal, log: () => {} };

function shoot(phase?: CredentialsRotationPhase): Shoot {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: 'rot', namespace: 'garden-dev', uid: '9f1c2b9e-0000-4000-8000-00000000000a' },
    spec: {},
    ...(phase
      ? {
          status: {
            credentials: { rotation: { certificateAuthorities: { phase }, serviceAccountKey: { phase } } },
          },
        }
      : {}),
  } as Shoot;
}

/** A seed (its own namespace store) and the garden's ShootStates, shared between seeds. */
function seed(garden: GenericStore, etcdHosts: readonly string[] = ['127.0.0.1', 'localhost']) {
  const storage = openSqliteStore({ path: ':memory:' });
  const client = storeClient([new GenericStore(secretDefinition, storage, new AdmissionChain([]))]);
  const gardenClient = storeClient([garden]);
  const manager = (phase?: CredentialsRotationPhase) => {
    const s = shoot(phase);
    const c: ComponentContext = {
      shoot: s,
      namespace: NAMESPACE,
      seedName: 'seed-a',
      garden: gardenClient,
      seed: client,
      endpoint: new ShootEndpoint(s, { poolAddress: '127.0.0.1' }),
      internalDomain: undefined,
      dnsRecordTtl: 30,
      etcdHosts,
      seedObject: () => Promise.reject(new Error('not needed')),
      waitTimeoutMs: 10_000,
      logger: pino({ level: 'silent' }),
    };
    const shootState = new ShootStateComponent(c);
    return { secrets: new SecretsManager(c, shootState), shootState };
  };
  const names = async () =>
    (await client.resource(secretResource).list(NAMESPACE)).items.map((s) => s.metadata.name!).sort();
  return { client, manager, names };
}

async function savedNames(garden: GenericStore): Promise<string[]> {
  const state = await storeClient([garden]).resource(shootStateResource).find('garden-dev', 'rot');
  return state
    ? secretObjectsFromShootState(state, NAMESPACE)
        .map((s) => s.metadata.name!)
        .sort()
    : [];
}

async function savedCa(garden: GenericStore, name: string): Promise<string | undefined> {
  const state = await storeClient([garden]).resource(shootStateResource).find('garden-dev', 'rot');
  const secret = secretObjectsFromShootState(state!, NAMESPACE).find((s) => s.metadata.name === name);
  return secret
    ? Buffer.from(String((secret.data as Record<string, string>)['ca.crt']), 'base64').toString()
    : undefined;
}

describe('credentials rotation in secrets management', () => {
  const garden = new GenericStore(shootStateDefinition, openSqliteStore({ path: ':memory:' }), new AdmissionChain([]));

  it('Preparing: the new CAs exist and are in the ShootState when the step ends; a re-run keeps them', async () => {
    const a = seed(garden);
    const first = a.manager();
    await first.secrets.deploy(ctx);
    await first.shootState.persistSecrets();
    const oldCa = first.secrets.current.ca.certPem;

    const preparing = a.manager('Preparing');
    await preparing.secrets.deploy(ctx);
    const next = preparing.secrets.current.next;
    assert.ok(next?.ca && next.caClient && next.serviceAccountKey);
    assert.equal(preparing.secrets.current.ca.certPem, oldCa, 'the old CA still serves');
    assert.equal(clusterCaBundle(preparing.secrets.current).match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.equal(await savedCa(garden, 'ca-new'), next.ca.certPem, 'persisted before anything is issued from it');

    const again = a.manager('Preparing');
    await again.secrets.deploy(ctx);
    assert.equal(again.secrets.current.next?.ca?.certPem, next.ca.certPem, 'not generated twice');
  });

  it('Completing after a crash between deleting the old CA and writing the new one: recovered and promoted', async () => {
    const a = seed(garden);
    // The namespace as the Restore on this seed found it in the ShootState, then the crash: `ca` gone.
    await a.manager('Prepared').secrets.deploy(ctx);
    const newCa = await savedCa(garden, 'ca-new');
    await a.client.resource(secretResource).delete(NAMESPACE, 'ca');

    const completing = a.manager('Completing');
    await completing.secrets.deploy(ctx);
    assert.equal(completing.secrets.current.ca.certPem, newCa);
    assert.equal(completing.secrets.current.next, undefined);
    assert.ok(!(await a.names()).some((n) => n.endsWith('-new')), 'no successor left in the namespace');
    assert.deepEqual(await savedNames(garden), [
      'ca',
      'ca-client',
      'ca-etcd',
      'etcd-encryption-key',
      'kube-apiserver-static-token',
      'service-account-key',
    ]);
    assert.equal(await savedCa(garden, 'ca'), newCa, 'the ShootState holds the new CA');

    const rerun = a.manager('Completing');
    await rerun.secrets.deploy(ctx);
    assert.equal(rerun.secrets.current.ca.certPem, newCa, 'a repeated Completing changes nothing');
  });

  it('Completing resumed on another seed whose namespace holds only the new values: nothing is lost', async () => {
    const b = seed(garden);
    const completing = b.manager('Completing');
    await completing.secrets.deploy(ctx);
    assert.equal(completing.secrets.current.ca.certPem, await savedCa(garden, 'ca'));
    assert.equal(completing.secrets.current.next, undefined);
  });
});

describe("etcd's certificates in secrets management", () => {
  const garden = new GenericStore(shootStateDefinition, openSqliteStore({ path: ':memory:' }), new AdmissionChain([]));

  it("name the seed's etcd peer address, where other seeds dial its members, and follow it", async () => {
    const sans = async (s: ReturnType<typeof seed>, name: string) => {
      const secret = await s.client.resource(secretResource).get(NAMESPACE, name);
      const pem = Buffer.from(String((secret.data as Record<string, string>)['tls.crt']), 'base64').toString();
      return new X509Certificate(pem).subjectAltName ?? '';
    };
    const withPeerAddress = seed(garden, etcdCertificateHosts('10.1.2.3'));
    await withPeerAddress.manager().secrets.deploy(ctx);
    for (const name of ['etcd-server-tls', ETCD_PEER_SERVER_SECRET]) {
      assert.match(await sans(withPeerAddress, name), /IP Address:10\.1\.2\.3/, name);
      assert.match(await sans(withPeerAddress, name), /IP Address:127\.0\.0\.1/, name);
    }
    assert.deepEqual(etcdCertificateHosts('127.0.0.1'), ['127.0.0.1', 'localhost']);
  });
});
