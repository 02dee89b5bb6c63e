/**
 * The kinds' field structure read from kubernetes-models' declarations, and what the store does
 * with fields a kind does not have: drops them, naming them as a warning (Warn) or refusing the
 * request (Strict), as Kubernetes' decoder does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinResources, isStored } from '../../../src/api/builtin/index.js';
import { type Field, type FieldType, kindType, pruneUnknownFields } from '../../../src/registry/builtin/model-types.js';
import { ctx, type Doc, refused, storeOf } from '../../helpers/builtin-store.js';

function field(type: FieldType, path: string): Field {
  let current: FieldType = type;
  let found: Field | undefined;
  for (const name of path.split('.')) {
    if (current.kind === 'array') current = current.items;
    assert.equal(current.kind, 'object', path);
    found = (current as Extract<FieldType, { kind: 'object' }>).fields().get(name);
    assert.ok(found, `${path}: no ${name}`);
    current = found.type;
  }
  return found!;
}

describe('the built-in kinds’ fields from kubernetes-models', () => {
  it('reads every stored kind as an object with apiVersion, kind and metadata', () => {
    for (const row of builtinResources.filter(isStored)) {
      const type = kindType(row);
      assert.equal(type.kind, 'object', row.kind);
      for (const name of ['apiVersion', 'kind', 'metadata']) field(type, name);
    }
  });

  it('knows lists, maps, int-or-strings, enums and descriptions', () => {
    const deployment = kindType({ group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.deepEqual(field(deployment, 'spec.replicas').type, { kind: 'scalar', type: 'integer' });
    assert.match(field(deployment, 'spec.replicas').description, /Number of desired pods/);
    assert.equal(field(deployment, 'spec.template.spec.containers').type.kind, 'array');
    assert.equal(field(deployment, 'metadata.labels').type.kind, 'map');
    assert.deepEqual(field(deployment, 'spec.strategy.rollingUpdate.maxSurge').type, {
      kind: 'scalar',
      type: 'int-or-string',
    });
    const pull = field(deployment, 'spec.template.spec.containers.imagePullPolicy').type;
    assert.deepEqual(pull, { kind: 'scalar', type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] });
    assert.equal(field(deployment, 'metadata.managedFields.fieldsV1').type.kind, 'any');
  });

  it('drops unknown fields at any depth and names them with their paths', () => {
    const obj = {
      metadata: { name: 'x', color: 'red', annotations: { keep: 'me' } },
      spec: { replicass: 3, template: { spec: { containers: [{ name: 'c', imagee: 'x' }] } } },
    };
    const pod = kindType({ group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.deepEqual(pruneUnknownFields(obj, pod), [
      'metadata.color',
      'spec.replicass',
      'spec.template.spec.containers[0].imagee',
    ]);
    assert.deepEqual(obj, {
      metadata: { name: 'x', annotations: { keep: 'me' } },
      spec: { template: { spec: { containers: [{ name: 'c' }] } } },
    });
  });
});

describe('fieldValidation on writes of built-in kinds', () => {
  const configMaps = storeOf('', 'configmaps');
  const configMap = (name: string): Doc => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data: { a: 'b' },
    dat: {},
  });

  it('Strict refuses the object, naming the unknown field, and stores nothing', async () => {
    const err = await refused(
      configMaps.create('default', configMap('strict'), { ...ctx, fieldValidation: 'Strict' }),
      400,
    );
    assert.equal(
      err.message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dat"',
    );
    await refused(configMaps.get('default', 'strict'), 404);
  });

  it('Warn stores the object without the field and warns; Ignore says nothing', async () => {
    const warnings: string[] = [];
    const created = await configMaps.create('default', configMap('warn'), {
      ...ctx,
      fieldValidation: 'Warn',
      warnings,
    });
    assert.equal('dat' in created, false);
    assert.deepEqual(warnings, ['unknown field "dat"']);
    const quiet: string[] = [];
    await configMaps.create('default', configMap('ignore'), { ...ctx, fieldValidation: 'Ignore', warnings: quiet });
    assert.deepEqual(quiet, []);
  });
});
