/**
 * PartialObjectMetadata responses (src/apiserver/resource-handler.ts): which Accept headers ask
 * for them, and a get served that way. Lists and watches are in test/client/client.test.ts, on
 * both clients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { wantsPartialObjectMetadata } from '../../src/apiserver/resource-handler.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { RestClient } from '../../src/client/rest-client.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

describe('wantsPartialObjectMetadata', () => {
  it('is true for as=PartialObjectMetadata(List) of meta.k8s.io/v1 in any offered type', () => {
    assert.equal(wantsPartialObjectMetadata('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1'), true);
    assert.equal(
      wantsPartialObjectMetadata(
        'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
      ),
      true,
    );
  });

  it('is false for plain JSON, a Table, another group or version', () => {
    for (const accept of [
      undefined,
      'application/json',
      'application/json;as=Table;g=meta.k8s.io;v=v1',
      'application/json;as=PartialObjectMetadata;g=example.com;v=v1',
      'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2',
      'application/json;as=PartialObjectMetadataListX;g=meta.k8s.io;v=v1',
    ]) {
      assert.equal(wantsPartialObjectMetadata(accept), false, String(accept));
    }
  });
});

describe('a get as PartialObjectMetadata', () => {
  let g: TestGarden;
  let client: RestClient;
  before(async () => {
    g = await startTestGarden();
    client = new RestClient(loadKubeconfig(g.kubeconfig));
  });
  after(async () => {
    client.close();
    await g.cleanup();
  });

  it('answers the object’s metadata only', async () => {
    const path = '/api/v1/namespaces/garden/secrets';
    await client.request('POST', path, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pom' },
      data: { k: 'dg==' },
    });
    const answer = await client.request<KubeObject>(
      'GET',
      `${path}/pom`,
      undefined,
      undefined,
      undefined,
      'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
    );
    assert.deepEqual(Object.keys(answer).sort(), ['apiVersion', 'kind', 'metadata']);
    assert.equal(answer.apiVersion, 'meta.k8s.io/v1');
    assert.equal(answer.kind, 'PartialObjectMetadata');
    assert.equal(answer.metadata.name, 'pom');
  });
});
