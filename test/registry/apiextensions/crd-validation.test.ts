/**
 * CustomResourceDefinition checks (names, scope, versions, structural schemas, list types) and
 * the JSONPath subset of printer columns.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultCrd, validateCrd } from '../../../src/api/apiextensions/crd-validation.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { evaluateJsonPath, parseJsonPath } from '../../../src/registry/apiextensions/json-path.js';
import { testCrd } from '../../helpers/crds.js';

function crd(spec: Record<string, unknown>, name = 'widgets.example.com'): KubeObject {
  const obj = testCrd('widgets', 'Widget', { name });
  obj.spec = { ...(obj.spec as object), ...spec };
  defaultCrd(obj);
  return obj;
}

const messages = (obj: KubeObject) => validateCrd(obj).map((e) => `${e.path}: ${e.message}`);

describe('CustomResourceDefinition validation', () => {
  it('accepts a minimal CRD and defaults singular, listKind and conversion', () => {
    const obj = crd({});
    assert.deepEqual(messages(obj), []);
    assert.deepEqual((obj.spec as { names: object }).names, {
      plural: 'widgets',
      kind: 'Widget',
      singular: 'widget',
      listKind: 'WidgetList',
    });
  });

  it('requires the name to be <plural>.<group>, a group with a dot, approval for Kubernetes groups', () => {
    assert.deepEqual(messages(crd({}, 'things.example.com')), [
      'metadata.name: Invalid value: "things.example.com": must be spec.names.plural+"."+spec.group',
    ]);
    assert.ok(
      messages(crd({ group: 'example' }, 'widgets.example')).includes(
        'spec.group: Invalid value: "example": should be a domain with at least one dot',
      ),
    );
    assert.match(messages(crd({ group: 'x.k8s.io' }, 'widgets.x.k8s.io'))[0]!, /api-approved\.kubernetes\.io/);
  });

  it('requires exactly one storage version, a served one, unique names, and a scope', () => {
    const version = (name: string, served: boolean, storage: boolean) => ({
      name,
      served,
      storage,
      schema: { openAPIV3Schema: { type: 'object' } },
    });
    const errors = messages(
      crd({ scope: 'Global', versions: [version('v1', false, true), version('v1', false, true)] }),
    );
    assert.deepEqual(errors, [
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
      'spec.versions: Invalid value: ["v1","v1"]: must have exactly one version marked as storage version',
      'spec.versions: Invalid value: ["v1","v1"]: must have at least one served version',
      'spec.versions[1].name: Duplicate value: "v1"',
    ]);
  });

  it('requires structural schemas: types everywhere, items of arrays, well-formed list types', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            untyped: { description: 'no type' },
            list: { type: 'array' },
            port: { type: 'string', 'x-kubernetes-int-or-string': true },
            keyed: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['name'],
              items: { type: 'object', properties: { name: { type: 'string' } } },
            },
          },
        },
      },
    };
    const base = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties';
    assert.deepEqual(
      messages(crd({ versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }] })),
      [
        `${base}[untyped].type: Required value: must not be empty for specified object fields`,
        `${base}[list].items: Required value: must be specified`,
        `${base}[port].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`,
        `${base}[keyed].items.properties[name]: Required value: all map keys must be required or have a default value`,
      ],
    );
    assert.deepEqual(messages(crd({ versions: [{ name: 'v1', served: true, storage: true }] })), [
      'spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
    ]);
  });
});

describe('printer column JSONPath', () => {
  const obj = {
    metadata: { name: 'w', labels: { 'app.kubernetes.io/name': 'x' } },
    spec: { replicas: 3, ports: [{ port: 80 }, { port: 443 }] },
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Synced', status: 'False' },
      ],
    },
  };
  const at = (path: string) => evaluateJsonPath(parseJsonPath(path), obj);

  it('selects fields, indexes, every item and filtered items', () => {
    assert.deepEqual(at('.spec.replicas'), [3]);
    assert.deepEqual(at('.spec.ports[1].port'), [443]);
    assert.deepEqual(at('.spec.ports[*].port'), [80, 443]);
    assert.deepEqual(at(".status.conditions[?(@.type=='Ready')].status"), ['True']);
    assert.deepEqual(at('.status.conditions[?(@.type=="Synced")].status'), ['False']);
    assert.deepEqual(at(".metadata.labels['app.kubernetes.io/name']"), ['x']);
    assert.deepEqual(at('{.spec.missing}'), []);
  });

  it('refuses what it cannot evaluate', () => {
    assert.throws(() => parseJsonPath('.spec[?(@.a ~ 1)]'), /unsupported/);
  });
});
