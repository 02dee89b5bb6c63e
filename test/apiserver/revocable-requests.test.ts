import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenAuthenticator, tokenCredentialId } from '../../src/apiserver/authn/token-authenticator.js';
import { createToken, hashToken } from '../../src/apiserver/authn/token-file.js';
import { UnionAuthenticator } from '../../src/apiserver/authn/union-authenticator.js';
import { credentialIdOf, RevocableRequests } from '../../src/apiserver/revocable-requests.js';

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('revocation of credentials', () => {
  it('a token authenticator reports the credentials that left its entries, through a union too', async () => {
    const [a, b] = [createToken(), createToken()];
    const tokens = new TokenAuthenticator([
      { sha256: hashToken(a), user: { name: 'seed-a' } },
      { sha256: hashToken(b), user: { name: 'seed-b' } },
    ]);
    const reported: string[][] = [];
    new UnionAuthenticator(tokens).onRevoked((ids) => reported.push([...ids]));
    const user = await tokens.authenticate(bearer(a));
    assert.equal(credentialIdOf(user!), tokenCredentialId(hashToken(a)));

    tokens.setEntries([{ sha256: hashToken(b), user: { name: 'seed-b' } }]);
    tokens.setEntries([{ sha256: hashToken(b), user: { name: 'seed-b' } }]);
    assert.deepEqual(reported, [[tokenCredentialId(hashToken(a))]], 'once, only the one that went');
    await assert.rejects(tokens.authenticate(bearer(a)), { code: 401 });
  });

  it('ends the running requests of a revoked credential and no others', () => {
    const requests = new RevocableRequests();
    const ended: string[] = [];
    const user = (id?: string) => ({
      name: 'u',
      groups: [],
      ...(id ? { extra: { 'authentication.kubernetes.io/credential-id': [id] } } : {}),
    });
    requests.track(user('old'), () => ended.push('watch-1'));
    requests.track(user('old'), () => ended.push('watch-2'));
    const done = requests.track(user('old'), () => ended.push('finished'));
    requests.track(user('new'), () => ended.push('new'));
    requests.track(user(), () => ended.push('untracked'));
    done();
    assert.equal(requests.size, 3);

    assert.equal(requests.revoke(['old', 'unknown']), 2);
    assert.deepEqual(ended.sort(), ['watch-1', 'watch-2']);
    assert.equal(requests.size, 1);
    assert.equal(requests.revoke(['old']), 0, 'a revocation ends a request once');
  });
});
