import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonical,
  difference,
  intersection,
  memberPaths,
  pathString,
  setOf,
  union,
} from '../../../src/apiserver/fieldmanager/field-set.js';
import { compareObjects, fieldSetOf, ItemErrors } from '../../../src/apiserver/fieldmanager/field-sets-of.js';
import { compileSchema } from '../../../src/apiserver/fieldmanager/schema.js';

/** A Deployment's list types, as Kubernetes' OpenAPI declares them. */
const deploymentSchema = compileSchema({
  fieldTypes: {
    'spec.selector': 'atomic',
    'spec.template.spec.containers': { mapKeys: ['name'] },
    'spec.template.spec.containers[].ports': {
      mapKeys: ['containerPort', 'protocol'],
      keyDefaults: { protocol: 'TCP' },
    },
    'spec.template.spec.containers[].args': 'atomic',
  },
});

describe('field sets in fieldsV1 form', () => {
  it('a ConfigMap applied as in the Kubernetes documentation', () => {
    const config = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } },
      data: { key: 'some value' },
    };
    const set = fieldSetOf(config, compileSchema({}));
    assert.deepEqual(set, {
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:name': {}, 'f:namespace': {}, 'f:labels': { 'f:test-label': {} } },
      'f:data': { 'f:key': {} },
    });
  });

  it('list maps by key with ".", multi-key items with their defaults, atomic lists and objects, sets by value', () => {
    const config = {
      metadata: { name: 'web', finalizers: ['example.com/a'] },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.27', args: ['-g', 'daemon off;'], ports: [{ containerPort: 80 }] },
            ],
          },
        },
      },
    };
    const set = canonical(fieldSetOf(config, deploymentSchema));
    assert.equal(
      JSON.stringify(set),
      JSON.stringify({
        'f:metadata': { 'f:finalizers': { 'v:"example.com/a"': {} }, 'f:name': {} },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:args': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      }),
    );
  });

  it('refuses list-map items without their key and duplicate keys, naming the list', () => {
    const errors = new ItemErrors();
    fieldSetOf(
      { spec: { template: { spec: { containers: [{ image: 'x' }, { name: 'a' }, { name: 'a' }] } } } },
      deploymentSchema,
      errors,
    );
    assert.deepEqual(
      errors.errors.map((e) => `${e.path}: ${e.message}`),
      [
        'spec.template.spec.containers: associative list with keys has an element that omits key field "name"',
        'spec.template.spec.containers: duplicate entries for key [name="a"]',
      ],
    );
  });

  it('union, difference and intersection keep "." for members with children', () => {
    const a = setOf(['f:spec', 'f:replicas'], ['f:metadata', 'f:labels', 'f:app']);
    const b = setOf(['f:spec'], ['f:spec', 'f:paused']);
    assert.deepEqual(union(a, b), {
      'f:spec': { '.': {}, 'f:replicas': {}, 'f:paused': {} },
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });
    assert.deepEqual(difference(union(a, b), setOf(['f:spec'])), {
      'f:spec': { 'f:replicas': {}, 'f:paused': {} },
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });
    assert.deepEqual(intersection(union(a, b), setOf(['f:spec', 'f:paused'], ['f:spec', 'f:x'])), {
      'f:spec': { 'f:paused': {} },
    });
    assert.equal(difference(a, setOf(['f:other'])), a, 'an unchanged set is returned as it is');
  });

  it('prints member paths as structured-merge-diff does', () => {
    const set = setOf(
      ['f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image'],
      ['f:metadata', 'f:finalizers', 'v:"a/b"'],
      ['f:spec', 'f:replicas'],
    );
    assert.deepEqual(memberPaths(set).map(pathString), [
      '.metadata.finalizers[="a/b"]',
      '.spec.replicas',
      '.spec.containers[name="app"].image',
    ]);
  });

  it('compares: new structures and list items are added with their members, changed leaves modified', () => {
    const live = {
      metadata: { labels: { a: '1' }, finalizers: ['x'] },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', image: 'v1' }] } } },
    };
    const next = {
      metadata: { labels: { a: '2' }, finalizers: ['x', 'y'] },
      spec: {
        replicas: 1,
        strategy: { rollingUpdate: { maxSurge: 1 } },
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'v2' },
              { name: 'side', image: 's' },
            ],
          },
        },
      },
    };
    const { added, modified, removed } = compareObjects(live, next, deploymentSchema);
    assert.deepEqual(modified, {
      'f:metadata': { 'f:labels': { 'f:a': {} } },
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } },
    });
    assert.deepEqual(added, {
      'f:metadata': { 'f:finalizers': { 'v:"y"': {} } },
      'f:spec': {
        'f:strategy': { '.': {}, 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} } },
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"side"}': { '.': {}, 'f:name': {}, 'f:image': {} } } },
        },
      },
    });
    assert.deepEqual(removed, {});
    assert.deepEqual(compareObjects(next, live, deploymentSchema).removed, added);
  });
});
