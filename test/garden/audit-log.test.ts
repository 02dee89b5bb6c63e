/**
 * The garden's audit log, request by request over HTTPS with real credentials: the events of
 * each stage in audit.k8s.io/v1's shape, the `Audit-Id` header naming them, refusals (401, 403,
 * 413) audited with their code, a binding recorded at Request level although the policy says
 * None, and a Secret's value absent although the policy asks for RequestResponse.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/apiserver/audit/event.js';
import type { AuditPolicy } from '../../src/apiserver/audit/policy.js';
import { type Json, type RawResponse, rawRequest } from '../helpers/api-client.js';
import { shootManifest } from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

const NS = 'garden-dev';
const shoots = `/apis/core.gardener.cloud/v1beta1/namespaces/${NS}/shoots`;

/** Everything at RequestResponse, bindings at None: what the code enforces shows against it. */
const policy: AuditPolicy = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  rules: [
    { level: 'None', resources: [{ group: 'core.gardener.cloud', resources: ['shoots/binding'] }] },
    { level: 'None', nonResourceURLs: ['/readyz'] },
    { level: 'RequestResponse' },
  ],
};

describe('garden audit log', () => {
  let g: TestGarden;
  let path: string;
  let events: AuditEvent[];
  let log: string;
  const secretValue = `audit-secret-${randomBytes(12).toString('hex')}`;
  const responses: Record<string, RawResponse> = {};

  before(async () => {
    g = await startTestGarden({});
    path = join(g.dir, 'audit', 'audit.log');
    // The fixture's garden has no audit log: a second one on the same directory has.
    await g.stop();
    g = await startTestGarden({ audit: { path, policy } }, g.dir);
    const op = g.kubeconfig;
    responses.secret = await rawRequest(op, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'audited' },
      data: { value: Buffer.from(secretValue).toString('base64') },
      stringData: { plain: secretValue },
    });
    responses.getSecret = await rawRequest(op, 'GET', `/api/v1/namespaces/${NS}/secrets/audited`);
    responses.listSecrets = await rawRequest(op, 'GET', '/api/v1/secrets');
    responses.shoot = await rawRequest(op, 'POST', shoots, shootManifest(NS, 'audited'));
    responses.binding = await rawRequest(op, 'PUT', `${shoots}/audited/binding`, {
      ...responses.shoot.json,
      spec: { ...responses.shoot.json.spec, seedName: 'seed-nowhere' },
    });
    responses.memberBinding = await rawRequest(g.memberKubeconfig, 'PUT', `${shoots}/audited/binding`, {
      ...responses.shoot.json,
      spec: { ...responses.shoot.json.spec, seedName: 'seed-nowhere' },
    });
    responses.badToken = await rawRequest(op, 'GET', shoots, undefined, {}, { token: 'not-a-token' });
    responses.tooLarge = await rawRequest(
      op,
      'POST',
      `/api/v1/namespaces/${NS}/configmaps`,
      'x'.repeat(4 * 1024 * 1024),
    );
    responses.watch = await rawRequest(op, 'GET', `${shoots}?watch=true&timeoutSeconds=1`);
    responses.readyz = await rawRequest(op, 'GET', '/readyz');
    await g.stop();
    log = await readFile(path, 'utf8');
    events = log
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
  });

  after(async () => {
    await g?.cleanup();
  });

  /** The events of the request that got `res`, by its Audit-Id header. */
  const eventsOf = (res: RawResponse): AuditEvent[] => {
    const id = res.headers['audit-id'];
    assert.ok(typeof id === 'string' && id.length > 0, 'the response names its audit ID');
    return events.filter((e) => e.auditID === id);
  };
  const completed = (res: RawResponse): AuditEvent => {
    const found = eventsOf(res).filter((e) => e.stage === 'ResponseComplete');
    assert.equal(found.length, 1, `one ResponseComplete event of ${res.headers['audit-id']}`);
    return found[0]!;
  };

  it('writes one audit.k8s.io/v1 Event per stage, named by the Audit-Id header, to a 0600 file', async () => {
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(g.dir, 'audit'))).mode & 0o777, 0o700);
    const stages = eventsOf(responses.shoot).map((e) => e.stage);
    assert.deepEqual(stages, ['RequestReceived', 'ResponseComplete']);
    const event = completed(responses.shoot);
    assert.equal(responses.shoot.status, 201);
    assert.equal(event.kind, 'Event');
    assert.equal(event.apiVersion, 'audit.k8s.io/v1');
    assert.equal(event.level, 'RequestResponse');
    assert.equal(event.verb, 'create');
    assert.equal(event.requestURI, shoots);
    assert.equal(event.user.username, 'operator');
    assert.ok(event.user.groups?.includes('gardener.cloud:operators'), JSON.stringify(event.user));
    assert.ok(event.sourceIPs.includes('127.0.0.1'), JSON.stringify(event.sourceIPs));
    assert.deepEqual(event.objectRef, {
      resource: 'shoots',
      namespace: NS,
      name: 'audited',
      apiGroup: 'core.gardener.cloud',
      apiVersion: 'v1beta1',
    });
    assert.deepEqual(event.responseStatus, { metadata: {}, code: 201 });
    assert.equal((event.requestObject as Json).metadata.name, 'audited');
    assert.equal((event.responseObject as Json).metadata.uid, responses.shoot.json.metadata.uid);
    assert.equal(event.annotations?.['authorization.k8s.io/decision'], 'allow');
    assert.ok(Date.parse(event.requestReceivedTimestamp) <= Date.parse(event.stageTimestamp));
  });

  it('records a binding at Request level with its user although the policy says None', () => {
    const event = completed(responses.binding);
    assert.equal(event.level, 'Request');
    assert.equal(event.verb, 'update');
    assert.equal(event.user.username, 'operator');
    assert.deepEqual(event.objectRef, {
      resource: 'shoots',
      namespace: NS,
      name: 'audited',
      apiGroup: 'core.gardener.cloud',
      apiVersion: 'v1beta1',
      subresource: 'binding',
    });
    assert.equal((event.requestObject as Json).spec.seedName, 'seed-nowhere');
    assert.equal(event.responseObject, undefined, 'Request level: no response object');
    assert.equal(event.responseStatus?.code, responses.binding.status);
  });

  it('audits refusals with their code: 403 with the decision, 401, 413', () => {
    const forbidden = completed(responses.memberBinding);
    assert.equal(responses.memberBinding.status, 403);
    assert.equal(forbidden.responseStatus?.code, 403);
    assert.equal(forbidden.responseStatus?.reason, 'Forbidden');
    assert.match(forbidden.responseStatus?.message ?? '', /cannot update resource "shoots\/binding"/);
    assert.equal(forbidden.annotations?.['authorization.k8s.io/decision'], 'forbid');

    assert.equal(responses.badToken.status, 401);
    const unauthorized = completed(responses.badToken);
    assert.equal(unauthorized.responseStatus?.code, 401);
    assert.deepEqual(unauthorized.user, {}, 'no user is known');

    assert.equal(responses.tooLarge.status, 413);
    const tooLarge = completed(responses.tooLarge);
    assert.equal(tooLarge.responseStatus?.code, 413);
    assert.equal(tooLarge.responseStatus?.reason, 'RequestEntityTooLarge');
  });

  it('writes ResponseStarted when a watch starts streaming', () => {
    assert.deepEqual(
      eventsOf(responses.watch).map((e) => e.stage),
      ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
    );
    assert.equal(completed(responses.watch).verb, 'watch');
    assert.equal(completed(responses.watch).responseObject, undefined, 'a watch stream is not recorded');
  });

  it('records Secrets at Metadata level at most, and their value nowhere', () => {
    for (const res of [responses.secret, responses.getSecret, responses.listSecrets]) {
      assert.ok(res.status < 300, res.text);
      const event = completed(res);
      assert.equal(event.level, 'Metadata');
      assert.equal(event.requestObject, undefined);
      assert.equal(event.responseObject, undefined);
    }
    assert.equal(completed(responses.getSecret).objectRef?.name, 'audited');
    assert.ok(!log.includes(secretValue), 'the plain value is not in the log');
    assert.ok(!log.includes(Buffer.from(secretValue).toString('base64')), 'the base64 value is not in the log');
  });

  it('leaves out what the policy says None to', () => {
    assert.equal(responses.readyz.status, 200);
    assert.deepEqual(eventsOf(responses.readyz), []);
  });
});
