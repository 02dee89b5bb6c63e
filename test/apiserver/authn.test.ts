import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStatusError } from '../../src/api/errors.js';
import { ClientCertificateAuthenticator } from '../../src/apiserver/authn/client-certificate-authenticator.js';
import { bearerToken, TokenAuthenticator, tokenCredentialId } from '../../src/apiserver/authn/token-authenticator.js';
import {
  createToken,
  hashToken,
  issueToken,
  readTokenFile,
  revokeTokens,
  writeTokenFile,
} from '../../src/apiserver/authn/token-file.js';
import { UnionAuthenticator } from '../../src/apiserver/authn/union-authenticator.js';
import { credentialIdKey } from '../../src/apiserver/revocable-requests.js';
import type { AuthenticationRequest, Authenticator } from '../../src/apiserver/types.js';

function bearer(token: string): AuthenticationRequest {
  return { headers: { authorization: `Bearer ${token}` } };
}

/** Asserts a 401 whose text does not contain `secret`. */
async function assertUnauthorized(promise: Promise<unknown>, secret: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isStatusError(err));
    assert.equal(err.code, 401);
    assert.equal(err.reason, 'Unauthorized');
    assert.ok(!JSON.stringify(err.status).includes(secret));
    assert.ok(!String(err.stack).includes(secret));
    return true;
  });
}

describe('authn: bearer token parsing', () => {
  const cases: [string | string[] | undefined, string | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['Bearer', undefined],
    ['Bearer  abc', undefined],
    ['Bearer abc def', 'abc'],
    ['Basic dXNlcjpwYXNz', undefined],
    [['Bearer first', 'Bearer second'], 'first'],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(bearerToken({ authorization: header }), expected);
    });
  }
});

describe('authn: token file and TokenAuthenticator', () => {
  let dir: string;
  let path: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-authn-'));
    path = join(dir, 'tokens.json');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates 32-byte base64url tokens', () => {
    const a = createToken();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(a, 'base64url').length, 32);
    assert.notEqual(a, createToken());
  });

  it('stores only the SHA-256 of issued tokens, in a 0600 file', async () => {
    const token = await issueToken(path, { name: 'admin', uid: 'u-1', groups: ['system:masters'] });
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(token));
    assert.ok(text.includes(hashToken(token)));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readTokenFile(path), {
      tokens: [{ sha256: hashToken(token), user: { name: 'admin', uid: 'u-1', groups: ['system:masters'] } }],
    });
  });

  it('authenticates a known token, adds system:authenticated, and returns null without a bearer header', async () => {
    const token = await issueToken(path, { name: 'jane', groups: ['devs'] });
    const authn = await TokenAuthenticator.fromFile(path);
    assert.deepEqual(await authn.authenticate(bearer(token)), {
      name: 'jane',
      groups: ['devs', 'system:authenticated'],
      // The digest's prefix names the credential, never the token.
      extra: { [credentialIdKey]: [tokenCredentialId(hashToken(token))] },
    });
    assert.equal(await authn.authenticate({ headers: {} }), null);
    assert.equal(await authn.authenticate({ headers: { authorization: 'Basic abc' } }), null);
  });

  it('rejects an unknown token with 401 and never echoes it', async () => {
    const authn = await TokenAuthenticator.fromFile(path);
    const wrong = createToken();
    await assertUnauthorized(authn.authenticate(bearer(wrong)), wrong);
    await assertUnauthorized(authn.authenticate(bearer('short')), 'short');
  });

  it('picks up tokens issued and revoked by another process', async () => {
    const authn = await TokenAuthenticator.fromFile(path, { reloadIntervalMs: 0 });
    const token = await issueToken(path, { name: 'late', groups: [] });
    assert.equal((await authn.authenticate(bearer(token)))?.name, 'late');
    assert.equal(await revokeTokens(path, 'late'), 1);
    await assertUnauthorized(authn.authenticate(bearer(token)), token);
  });

  it('keeps the last good tokens when the file turns malformed', async () => {
    const token = await issueToken(path, { name: 'steady' });
    const authn = await TokenAuthenticator.fromFile(path, { reloadIntervalMs: 0 });
    const good = await readFile(path, 'utf8');
    await writeFile(path, '{ not json', { mode: 0o600 });
    assert.equal((await authn.authenticate(bearer(token)))?.name, 'steady');
    await assert.rejects(authn.reload(), /not valid JSON/);
    await writeTokenFile(path, JSON.parse(good));
  });

  it('refuses token files others can write, and malformed entries', async () => {
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ tokens: [] }), { mode: 0o600 });
    await chmod(other, 0o666);
    await assert.rejects(TokenAuthenticator.fromFile(other), /writable by group or others/);
    await writeFile(other, JSON.stringify({ tokens: [{ sha256: 'abc', user: { name: 'x' } }] }), { mode: 0o600 });
    await chmod(other, 0o600);
    await assert.rejects(TokenAuthenticator.fromFile(other), /tokens\[0\]\.sha256/);
    await writeFile(other, JSON.stringify({ tokens: [{ sha256: hashToken('t'), user: {} }] }));
    await assert.rejects(TokenAuthenticator.fromFile(other), /tokens\[0\]\.user\.name/);
  });

  it('treats a missing file as no tokens', async () => {
    const authn = await TokenAuthenticator.fromFile(join(dir, 'absent.json'));
    await assertUnauthorized(authn.authenticate(bearer('absent-secret')), 'absent-secret');
  });
});

describe('authn: client certificates and union', () => {
  const certs = new ClientCertificateAuthenticator();

  it('maps CN to the user and O to groups', async () => {
    assert.deepEqual(
      await certs.authenticate({ headers: {}, clientCertificate: { subject: { CN: 'jane', O: ['a', 'b'] } } }),
      {
        name: 'jane',
        groups: ['a', 'b', 'system:authenticated'],
      },
    );
    assert.deepEqual(
      await certs.authenticate({ headers: {}, clientCertificate: { subject: { CN: 'bob', O: 'ops' } } }),
      {
        name: 'bob',
        groups: ['ops', 'system:authenticated'],
      },
    );
    assert.deepEqual(await certs.authenticate({ headers: {}, clientCertificate: { subject: { CN: 'n' } } }), {
      name: 'n',
      groups: ['system:authenticated'],
    });
    assert.equal(await certs.authenticate({ headers: {}, clientCertificate: { subject: {} } }), null);
    assert.equal(await certs.authenticate({ headers: {} }), null);
  });

  it('union: first user wins; errors only count when nobody authenticates', async () => {
    const tokens = new TokenAuthenticator([{ sha256: hashToken('good'), user: { name: 'tok' } }]);
    const union = new UnionAuthenticator(certs, tokens);
    const withCert = { subject: { CN: 'cert-user' } };
    assert.equal((await union.authenticate({ headers: {}, clientCertificate: withCert }))?.name, 'cert-user');
    assert.equal((await union.authenticate(bearer('good')))?.name, 'tok');
    // A valid certificate wins over a stale token, as in k8s.
    const both = { headers: { authorization: 'Bearer stale' }, clientCertificate: withCert };
    assert.equal((await union.authenticate(both))?.name, 'cert-user');
    assert.equal((await new UnionAuthenticator(tokens, certs).authenticate(both))?.name, 'cert-user');
    await assertUnauthorized(union.authenticate(bearer('stale')), 'stale');
    assert.equal(await union.authenticate({ headers: {} }), null);
    const empty: Authenticator = new UnionAuthenticator();
    assert.equal(await empty.authenticate(bearer('x')), null);
  });
});
