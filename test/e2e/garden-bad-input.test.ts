/**
 * Bad input against a real garden, through kubectl and through plain HTTPS: every failure is a
 * Kubernetes Status with the right code and reason (and the field path where one applies), and
 * nothing gets stored.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeconfigWithToken, rawRequest } from '../helpers/api-client.js';
import {
  type ApiStatus,
  assertRejected,
  createObject,
  getRaw,
  type Json,
  kubectlVerbose,
  shootManifest,
  shootPath,
  shootsPath,
} from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';

const NS = 'garden-dev';

/** Asserts a raw response is a Failure Status with this code and reason. */
function assertStatus(res: { status: number; json: Json; text: string }, code: number, reason: string): ApiStatus {
  assert.equal(res.status, code, res.text);
  const status = res.json as ApiStatus;
  assert.equal(status?.kind, 'Status', res.text);
  assert.equal(status.status, 'Failure');
  assert.equal(status.code, code);
  assert.equal(status.reason, reason);
  assert.ok(status.message.length > 0);
  return status;
}

describe('garden e2e: bad input', () => {
  let g: TestGarden;

  /** Whether a shoot of that name exists in garden-dev (asked as the operator). */
  async function shootExists(name: string, namespace = NS): Promise<boolean> {
    const res = await rawRequest(g.kubeconfig, 'GET', shootPath(namespace, name));
    if (res.status === 404) return false;
    assert.equal(res.status, 200, res.text);
    return true;
  }

  /** The names of all shoots in every namespace. */
  async function allShootNames(): Promise<string[]> {
    const list = await getRaw(g.kubeconfig, shootsPath());
    return list.items.map((s: Json) => `${s.metadata.namespace}/${s.metadata.name}`).sort();
  }

  before(async () => {
    g = await startTestGarden();
    await createObject(g.kubeconfig, shootManifest(NS, 'existing'));
  });

  after(async () => {
    await g?.cleanup();
  });

  it('malformed JSON: 400 BadRequest, nothing stored', async () => {
    const before = await allShootNames();
    const body = '{"apiVersion":"core.gardener.cloud/v1beta1","kind":"Shoot","metadata":{"name":"half"';
    const viaKubectl = await kubectlVerbose(g.kubeconfig, ['create', '--raw', shootsPath(NS), '-f', '-'], body);
    assertRejected(viaKubectl, { code: 400, reason: 'BadRequest', message: 'the request body is not valid JSON' });

    const raw = await rawRequest(g.kubeconfig, 'POST', shootsPath(NS), body);
    assertStatus(raw, 400, 'BadRequest');
    const update = await rawRequest(g.kubeconfig, 'PUT', shootPath(NS, 'existing'), '{"spec":');
    assertStatus(update, 400, 'BadRequest');
    const patch = await rawRequest(g.kubeconfig, 'PATCH', shootPath(NS, 'existing'), '{"spec":', {
      'Content-Type': 'application/merge-patch+json',
    });
    assertStatus(patch, 400, 'BadRequest');
    assert.equal(await shootExists('half'), false);
    assert.deepEqual(await allShootNames(), before);
  });

  it('malformed YAML: kubectl apply refuses it; the server answers 400 for a YAML body', async () => {
    const file = join(g.dir, 'broken.yaml');
    await writeFile(
      file,
      'apiVersion: core.gardener.cloud/v1beta1\nkind: Shoot\nmetadata:\n  name: broken-yaml\n  namespace: garden-dev\n   labels: [a\nspec: {}\n',
    );
    const applied = await kubectl(g.kubeconfig, ['apply', '-f', file]);
    assert.notEqual(applied.code, 0);
    assert.match(applied.stderr, /error converting YAML to JSON/);

    const raw = await rawRequest(
      g.kubeconfig,
      'POST',
      shootsPath(NS),
      'apiVersion: core.gardener.cloud/v1beta1\nkind: Shoot\nmetadata:\n  name: broken-yaml\n   labels: [a\n',
      { 'Content-Type': 'application/yaml' },
    );
    const status = assertStatus(raw, 400, 'BadRequest');
    assert.match(status.message, /not valid YAML/);
    // Well-formed YAML is accepted on the same path: the failure above is the syntax.
    const good = await rawRequest(
      g.kubeconfig,
      'POST',
      shootsPath(NS),
      'apiVersion: core.gardener.cloud/v1beta1\nkind: Shoot\nmetadata:\n  name: good-yaml\nspec:\n  cloudProfileName: local\n  region: local\n  provider:\n    type: local\n',
      { 'Content-Type': 'application/yaml' },
    );
    assert.equal(good.status, 201, good.text);
    assert.equal(await shootExists('broken-yaml'), false);
  });

  it('wrong apiVersion or kind in a body posted to the shoots URL: 400, nothing stored', async () => {
    const wrongVersion = { ...shootManifest(NS, 'wrong-version'), apiVersion: 'core.gardener.cloud/v1alpha1' };
    const version = await kubectlVerbose(
      g.kubeconfig,
      ['create', '--raw', shootsPath(NS), '-f', '-'],
      JSON.stringify(wrongVersion),
    );
    assertRejected(version, {
      code: 400,
      reason: 'BadRequest',
      message:
        'the API version in the data (core.gardener.cloud/v1alpha1) does not match the expected API version (core.gardener.cloud/v1beta1)',
    });

    const wrongKind = { ...shootManifest(NS, 'wrong-kind'), kind: 'Seed' };
    const kind = await kubectlVerbose(
      g.kubeconfig,
      ['create', '--raw', shootsPath(NS), '-f', '-'],
      JSON.stringify(wrongKind),
    );
    assertRejected(kind, {
      code: 400,
      reason: 'BadRequest',
      message: 'the kind in the data (Seed) does not match the expected kind (Shoot)',
    });

    const coreKind = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wrong-group' }, data: {} };
    assertStatus(await rawRequest(g.kubeconfig, 'POST', shootsPath(NS), coreKind), 400, 'BadRequest');
    // Replacing a shoot with a body of another kind is refused as well.
    const put = await rawRequest(g.kubeconfig, 'PUT', shootPath(NS, 'existing'), {
      ...wrongKind,
      metadata: { name: 'existing' },
    });
    assertStatus(put, 400, 'BadRequest');

    for (const name of ['wrong-version', 'wrong-kind', 'wrong-group'])
      assert.equal(await shootExists(name), false, name);
    const existing = await getRaw(g.kubeconfig, shootPath(NS, 'existing'));
    assert.equal(existing.kind, 'Shoot');
    assert.equal(existing.metadata.generation, 1);
  });

  it('invalid names: 422 Invalid at metadata.name, nothing stored', async () => {
    const before = await allShootNames();
    const invalidNames = ['Bad_Name', 'UPPER', 'ends-with-dash-', `${'x'.repeat(64)}`, 'has.dot'];
    for (const name of invalidNames) {
      const result = await kubectlVerbose(g.kubeconfig, ['create', '-f', '-'], JSON.stringify(shootManifest(NS, name)));
      assertRejected(result, {
        code: 422,
        reason: 'Invalid',
        message: `"${name}" is invalid: metadata.name: Invalid value: "${name}"`,
        field: 'metadata.name',
      });
      assert.match(result.message, /^The Shoot ".*" is invalid: metadata\.name/);
      assert.equal(result.status?.details?.kind, 'Shoot');
      assert.equal(result.status?.details?.name, name);
    }
    // A missing name is a required field.
    const noName = shootManifest(NS, 'x');
    delete noName.metadata.name;
    const missing = await rawRequest(g.kubeconfig, 'POST', shootsPath(NS), noName);
    const status = assertStatus(missing, 422, 'Invalid');
    assert.ok(
      status.details?.causes?.some((c) => c.field === 'metadata.name' && c.type === 'FieldValueRequired'),
      missing.text,
    );
    assert.deepEqual(await allShootNames(), before);
  });

  it('a namespace that does not exist: 404 namespaces "x" not found, nothing stored', async () => {
    const result = await kubectlVerbose(
      g.kubeconfig,
      ['create', '-f', '-', '-n', 'no-such-ns'],
      JSON.stringify(shootManifest('no-such-ns', 'orphan')),
    );
    assertRejected(result, { code: 404, reason: 'NotFound', message: 'namespaces "no-such-ns" not found' });
    assert.equal(result.status?.details?.kind, 'namespaces');
    assert.equal(result.status?.details?.name, 'no-such-ns');
    assert.equal(await shootExists('orphan', 'no-such-ns'), false);
    const list = await getRaw(g.kubeconfig, shootsPath('no-such-ns'));
    assert.deepEqual(list.items, []);
  });

  it('no namespace for a namespaced resource: 405, nothing stored; a mismatching namespace: 400', async () => {
    const before = await allShootNames();
    const manifest = shootManifest(NS, 'nowhere');
    delete manifest.metadata.namespace;
    const result = await kubectlVerbose(
      g.kubeconfig,
      ['create', '--raw', shootsPath(), '-f', '-'],
      JSON.stringify(manifest),
    );
    assertRejected(result, {
      code: 405,
      reason: 'MethodNotAllowed',
      message: 'POST is not allowed on shoots across namespaces',
    });

    const mismatch = await kubectlVerbose(
      g.kubeconfig,
      ['create', '--raw', shootsPath(NS), '-f', '-'],
      JSON.stringify(shootManifest('garden', 'mismatch')),
    );
    assertRejected(mismatch, {
      code: 400,
      reason: 'BadRequest',
      message: 'the namespace of the provided object does not match the namespace sent on the request',
    });
    assert.deepEqual(await allShootNames(), before);
  });

  it('a POST to the URL of an object: 405, nothing stored (the fuzzer found it created the object)', async () => {
    const before = await allShootNames();
    const raw = await rawRequest(g.kubeconfig, 'POST', shootPath(NS, 'by-item-url'), shootManifest(NS, 'by-item-url'));
    assert.match(assertStatus(raw, 405, 'MethodNotAllowed').message, /POST is not allowed on a named shoots/);
    assert.deepEqual(await allShootNames(), before);
  });

  it('a body over the size limit: 413 RequestEntityTooLarge, nothing stored or changed', async () => {
    const big = shootManifest(NS, 'too-big');
    big.metadata.annotations = { 'example.com/blob': 'x'.repeat(4 * 1024 * 1024) };
    const file = join(g.dir, 'too-big.json');
    await writeFile(file, JSON.stringify(big));
    const result = await kubectlVerbose(g.kubeconfig, ['create', '-f', file]);
    assertRejected(result, {
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: limit is 3145728',
    });
    assert.equal(await shootExists('too-big'), false);

    const before = await getRaw(g.kubeconfig, shootPath(NS, 'existing'));
    const raw = await rawRequest(g.kubeconfig, 'PUT', shootPath(NS, 'existing'), {
      ...before,
      metadata: { ...before.metadata, annotations: big.metadata.annotations },
    });
    assertStatus(raw, 413, 'RequestEntityTooLarge');
    const after = await getRaw(g.kubeconfig, shootPath(NS, 'existing'));
    assert.deepEqual(after, before);
  });

  it('a stale resourceVersion on update: 409 Conflict, the newer object stays', async () => {
    await createObject(g.kubeconfig, shootManifest(NS, 'contended'));
    const stale = await getRaw(g.kubeconfig, shootPath(NS, 'contended'));
    const patched = await kubectl(g.kubeconfig, [
      'patch',
      'shoot',
      'contended',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"spec":{"purpose":"evaluation"}}',
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    const current = await getRaw(g.kubeconfig, shootPath(NS, 'contended'));
    assert.notEqual(current.metadata.resourceVersion, stale.metadata.resourceVersion);

    stale.spec.purpose = 'production';
    const result = await kubectlVerbose(g.kubeconfig, ['replace', '-f', '-'], JSON.stringify(stale));
    assertRejected(result, {
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on shoots.core.gardener.cloud "contended": the object has been modified; please apply your changes to the latest version and try again',
    });
    // A merge patch carrying the stale resourceVersion is a precondition too.
    const patch = await kubectlVerbose(g.kubeconfig, [
      'patch',
      'shoot',
      'contended',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        metadata: { resourceVersion: stale.metadata.resourceVersion },
        spec: { purpose: 'production' },
      }),
    ]);
    assertRejected(patch, { code: 409, reason: 'Conflict', message: 'the object has been modified' });
    const after = await getRaw(g.kubeconfig, shootPath(NS, 'contended'));
    assert.deepEqual(after, current);
    assert.equal(after.spec.purpose, 'evaluation');
  });

  it('an unknown resource: 404 NotFound', async () => {
    const plain = await kubectl(g.kubeconfig, ['get', 'frobnicators']);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /the server doesn't have a resource type "frobnicators"/);

    for (const path of [
      '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/frobnicators',
      '/apis/core.gardener.cloud/v1beta1/frobnicators',
      '/apis/frob.example.com/v1/things',
      '/api/v1/namespaces/garden-dev/frobnicators/x',
      `${shootPath(NS, 'existing')}/frobnicate`,
    ]) {
      const result = await kubectlVerbose(g.kubeconfig, ['get', '--raw', path]);
      assertRejected(result, {
        code: 404,
        reason: 'NotFound',
        message: 'the server could not find the requested resource',
      });
    }
    const created = await rawRequest(
      g.kubeconfig,
      'POST',
      '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/frobnicators',
      {
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'Frobnicator',
        metadata: { name: 'f' },
      },
    );
    assertStatus(created, 404, 'NotFound');
  });

  it('no token: 401 Unauthorized, nothing stored', async () => {
    const res = await rawRequest(
      g.kubeconfig,
      'POST',
      shootsPath(NS),
      shootManifest(NS, 'anonymous'),
      {},
      { token: null },
    );
    const status = assertStatus(res, 401, 'Unauthorized');
    assert.equal(status.message, 'Unauthorized');
    const list = await rawRequest(g.kubeconfig, 'GET', shootsPath(), undefined, {}, { token: null });
    assertStatus(list, 401, 'Unauthorized');
    assert.doesNotMatch(list.text, /existing/, 'no data leaks');

    // (kubectl itself never sends a request without credentials: with a user that has none it
    // prompts for a username and password, so this case is plain HTTPS only.)
    const get = await rawRequest(g.kubeconfig, 'GET', shootPath(NS, 'existing'), undefined, {}, { token: null });
    assertStatus(get, 401, 'Unauthorized');
    assert.equal(await shootExists('anonymous'), false);
  });

  it('a bad token: 401 Unauthorized, nothing stored', async () => {
    const res = await rawRequest(
      g.kubeconfig,
      'POST',
      shootsPath(NS),
      shootManifest(NS, 'impostor'),
      {},
      { token: 'not-a-real-token' },
    );
    assertStatus(res, 401, 'Unauthorized');
    const bad = await kubeconfigWithToken(g.kubeconfig, join(g.dir, 'bad-token.kubeconfig'), 'not-a-real-token');
    // --validate=false: otherwise kubectl stops at the OpenAPI download (also a 401) before the POST.
    const result = await kubectlVerbose(
      bad,
      ['create', '--validate=false', '-f', '-'],
      JSON.stringify(shootManifest(NS, 'impostor')),
    );
    assert.notEqual(result.code, 0);
    assert.equal(result.httpStatus, 401);
    assert.match(result.stderr, /POST https:\S+\/namespaces\/garden-dev\/shoots/);
    assert.match(
      result.message,
      /error: You must be logged in to the server \(error when creating "STDIN": Unauthorized\)/,
    );
    const get = await kubectl(bad, ['get', 'shoots', '-A']);
    assert.match(get.stderr, /You must be logged in to the server \(Unauthorized\)/);
    assert.equal(get.stdout, '');
    assert.equal(await shootExists('impostor'), false);
    // The public endpoints stay reachable without credentials.
    const version = await rawRequest(g.kubeconfig, 'GET', '/version', undefined, {}, { token: null });
    assert.equal(version.status, 200);
    assert.equal(version.json.minor, '31');
  });
});
