/**
 * Token digests kept as Secrets in one store, followed by two authenticators as two replicas
 * would: a token issued through one is accepted by the other at once (before its watch event
 * arrives), a reissued user's old token stops working, forged tokens and malformed Secrets count
 * for nothing, and no Secret holds the token itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secretResource } from '../../src/api/core/secret.js';
import type { ResourceRef } from '../../src/api/resource-ref.js';
import { AdmissionChain } from '../../src/apiserver/admission.js';
import { hashToken } from '../../src/apiserver/authn/token-file.js';
import { GenericStore } from '../../src/apiserver/registry/generic-store.js';
import type { AuthenticationRequest } from '../../src/apiserver/types.js';
import type { Client } from '../../src/client/client.js';
import {
  issueStoredToken,
  reissueToken,
  StoredTokenDigests,
  tokenDigestLabel,
  tokenDigestSecret,
  tokenIsStored,
} from '../../src/hosting/token-digests.js';
import { namespaceDefinition } from '../../src/registry/core/namespace.js';
import { secretDefinition } from '../../src/registry/core/secret.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { until } from '../helpers/processes.js';
import { storeClient } from '../helpers/store-client.js';

const storage = openSqliteStore({ path: ':memory:' });
const client = storeClient([
  new GenericStore(secretDefinition, storage, new AdmissionChain([])),
  new GenericStore(namespaceDefinition, storage, new AdmissionChain([])),
]);
const bearer = (token: string): AuthenticationRequest =>
  ({ headers: { authorization: `Bearer ${token}` } }) as unknown as AuthenticationRequest;

describe('token digests in the store', () => {
  const replicaA = new StoredTokenDigests(client);
  const replicaB = new StoredTokenDigests(client);
  before(async () => {
    await replicaA.start();
    await replicaB.start();
  });
  after(async () => {
    replicaA.stop();
    replicaB.stop();
    await storage.close();
  });

  it('accepts a token issued a moment ago on every replica', async () => {
    const token = await issueStoredToken(client, { name: 'operator', groups: ['ops'] });
    for (const replica of [replicaB, replicaA]) {
      const user = await replica.authenticate(bearer(token));
      assert.equal(user?.name, 'operator');
      assert.deepEqual(user?.groups, ['ops', 'system:authenticated']);
    }
    // A replica whose watch has delivered nothing (never started here) looks again on a miss.
    const lagging = new StoredTokenDigests(client);
    assert.equal((await lagging.authenticate(bearer(token)))?.name, 'operator');
    assert.equal(await tokenIsStored(client, token), true);
    const secrets = (await client.resource(secretResource).list('kube-system')).items;
    const text = JSON.stringify(secrets);
    assert.ok(
      !text.includes(token) && !text.includes(Buffer.from(token).toString('base64')),
      'no Secret holds the token',
    );
    assert.ok(text.includes(Buffer.from(hashToken(token)).toString('base64')), 'the digest is stored');
  });

  it("revokes a user's older tokens when reissuing, on every replica", async () => {
    const user = { name: 'gardener.cloud:system:seed:seed-a', groups: ['gardener.cloud:system:seeds'] };
    const first = await reissueToken(client, user);
    assert.equal((await replicaB.authenticate(bearer(first)))?.name, user.name);
    const second = await reissueToken(client, user);
    assert.equal((await replicaA.authenticate(bearer(second)))?.name, user.name);
    for (const replica of [replicaA, replicaB]) {
      await until(
        async () => !(await replica.authenticate(bearer(first)).catch(() => null)),
        5_000,
        'the first token is refused',
      );
    }
    assert.equal(await tokenIsStored(client, first), false);
  });

  it('a list begun before a deletion does not bring the revoked token back', async () => {
    // The replica's look-up on a miss goes through a gate that holds its list's answer back.
    let gate: Promise<void> | undefined;
    const gated: Client = {
      ...client,
      resource: ((ref: ResourceRef) => {
        const resource = client.resource(ref);
        const list: typeof resource.list = async (...args) => {
          // Only the first list after the gate is set waits (the look-up, not the informer).
          const wait = gate;
          gate = undefined;
          const answer = await resource.list(...args);
          await wait;
          return answer;
        };
        return new Proxy(resource, {
          get: (target, key) => {
            if (key === 'list') return list;
            const value = Reflect.get(target, key, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      }) as Client['resource'],
    };
    const replica = new StoredTokenDigests(gated);
    await replica.start();
    try {
      const token = await issueStoredToken(client, { name: 'seed-c' });
      assert.equal((await replica.authenticate(bearer(token)))?.name, 'seed-c');
      let open = () => {};
      gate = new Promise((resolve) => {
        open = resolve;
      });
      const staleLookUp = replica.authenticate(bearer('unknown')).catch(() => null);
      await new Promise((r) => setTimeout(r, 50)); // the list has its answer, with the token
      const revoked = new Promise((resolve) => replica.onRevoked(resolve));
      await client
        .resource(secretResource)
        .delete('kube-system', tokenDigestSecret(token, { name: '-' }).metadata.name!);
      await revoked; // the watch delivered the deletion
      open();
      await staleLookUp;
      await assert.rejects(replica.authenticate(bearer(token)), /Unauthorized/);
    } finally {
      replica.stop();
    }
  });

  it('refuses forged tokens and ignores Secrets that are not well-formed digests', async () => {
    await assert.rejects(replicaA.authenticate(bearer('forged')), /Unauthorized/);
    await client.resource(secretResource).create('kube-system', {
      metadata: { name: 'token-malformed', namespace: 'kube-system', labels: { [tokenDigestLabel]: 'true' } },
      type: 'transplant.io/token-digest',
      data: { sha256: Buffer.from('not-a-digest').toString('base64'), user: Buffer.from('{}').toString('base64') },
    });
    await assert.rejects(replicaB.authenticate(bearer('not-a-digest')), /Unauthorized/);
    assert.equal(await replicaA.authenticate({ headers: {} } as unknown as AuthenticationRequest), null);
  });
});
