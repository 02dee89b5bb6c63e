import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldTypesOfOpenApi } from '../../../src/apiserver/fieldmanager/schema.js';

describe('field types from OpenAPI schemas', () => {
  it('reads a structural schema’s list and map markers', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            ports: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['port', 'protocol'],
              items: { type: 'object', properties: { tags: { type: 'array', 'x-kubernetes-list-type': 'set' } } },
            },
            selector: { type: 'object', 'x-kubernetes-map-type': 'atomic' },
            labels: { type: 'object', additionalProperties: { type: 'array', 'x-kubernetes-list-type': 'atomic' } },
          },
        },
      },
    };
    assert.deepEqual(fieldTypesOfOpenApi(schema), {
      'spec.ports': { mapKeys: ['port', 'protocol'] },
      'spec.ports[].tags': 'set',
      'spec.selector': 'atomic',
      'spec.labels.*': 'atomic',
    });
  });

  it('follows $refs and allOf, and reads patch strategies as Kubernetes’ schema conversion does', () => {
    const schema = {
      type: 'object',
      properties: {
        metadata: { allOf: [{ $ref: '#/components/schemas/ObjectMeta' }] },
        spec: { $ref: '#/components/schemas/PodSpec' },
      },
      components: {
        schemas: {
          ObjectMeta: {
            properties: { finalizers: { type: 'array', 'x-kubernetes-patch-strategy': 'merge' } },
          },
          PodSpec: {
            properties: {
              containers: {
                type: 'array',
                'x-kubernetes-patch-strategy': 'merge',
                'x-kubernetes-patch-merge-key': 'name',
                items: { $ref: '#/components/schemas/Container' },
              },
              volumes: {
                type: 'array',
                'x-kubernetes-patch-strategy': 'merge,retainKeys',
                'x-kubernetes-patch-merge-key': 'name',
              },
            },
          },
          Container: {
            properties: {
              args: { type: 'array', 'x-kubernetes-list-type': 'atomic' },
              // A recursive type is not entered again below itself.
              sidecar: { $ref: '#/components/schemas/Container' },
            },
          },
        },
      },
    };
    assert.deepEqual(fieldTypesOfOpenApi(schema), {
      'metadata.finalizers': 'set',
      'spec.containers': { mapKeys: ['name'] },
      'spec.containers[].args': 'atomic',
      'spec.volumes': { mapKeys: ['name'] },
    });
  });
});
