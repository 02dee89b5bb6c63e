/**
 * The OpenAPI v3 documents: the root lists every group version with a hash of what it
 * describes, without building any document; a document is built when asked for, and a kind
 * that knows its full schema (the built-in kinds) is described by it, with its components.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenApi } from '../../src/apiserver/openapi.js';
import type { ResourceDefinition } from '../../src/apiserver/types.js';
import { builtinDefinitions } from '../../src/registry/builtin/index.js';

describe('OpenApi', () => {
  it('answers the root without building documents, and builds one when asked', () => {
    let built = 0;
    const deployments = builtinDefinitions.find((d) => d.group === 'apps' && d.plural === 'deployments')!;
    const counting: ResourceDefinition = {
      ...deployments,
      openApiSchema: () => {
        built++;
        return deployments.openApiSchema!();
      },
    };
    const openapi = new OpenApi([counting], [{ group: 'apps', version: 'v1' }]);
    const root = openapi.root() as { paths: Record<string, { serverRelativeURL: string }> };
    assert.match(root.paths['apis/apps/v1']!.serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{32}$/);
    assert.equal(built, 0);
    const doc = openapi.document('apis/apps/v1') as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    openapi.document('apis/apps/v1');
    assert.equal(built, 1);
    const deployment = doc.components.schemas['apps.v1.Deployment']!;
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    const spec = (deployment.properties as Record<string, { allOf: { $ref: string }[] }>).spec!;
    const specSchema = doc.components.schemas[spec.allOf[0]!.$ref.replace('#/components/schemas/', '')]!;
    assert.deepEqual(specSchema.required, ['selector', 'template']);
  });
});
