/**
 * The structural-schema machinery of custom resources, each part on its own: pruning, defaulting,
 * validation in Kubernetes' words (ajv with RE2 patterns and Kubernetes' formats), list types.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONSchemaProps } from '../../../src/api/apiextensions/crd.js';
import { applyDefaults } from '../../../src/registry/apiextensions/defaulting.js';
import { embeddedResourceErrors } from '../../../src/registry/apiextensions/embedded-resources.js';
import { listTypeErrors } from '../../../src/registry/apiextensions/list-types.js';
import { pruneUnknown } from '../../../src/registry/apiextensions/pruning.js';
import { ratchet, valueAt } from '../../../src/registry/apiextensions/ratcheting.js';
import { compileSchemaValidator } from '../../../src/registry/apiextensions/schema-validator.js';

const object = (properties: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}): JSONSchemaProps => ({
  type: 'object',
  properties,
  ...extra,
});

describe('pruning', () => {
  const schema = object({
    spec: object({
      a: { type: 'string' },
      open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      items: { type: 'array', items: object({ name: { type: 'string' } }) },
      embedded: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
    }),
  });

  it('drops unknown fields and reports their paths; keeps apiVersion, kind, metadata, maps and preserved subtrees', () => {
    const obj = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      extra: 1,
      spec: {
        a: 'x',
        b: 'y',
        open: { anything: { deep: true } },
        labels: { k: 'v' },
        items: [{ name: 'n', other: 1 }],
        embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, junk: 1 },
      },
    };
    const pruned = pruneUnknown(obj, schema);
    assert.deepEqual(pruned.sort(), ['extra', 'spec.b', 'spec.embedded.junk', 'spec.items[0].other']);
    assert.deepEqual(obj, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: {
        a: 'x',
        open: { anything: { deep: true } },
        labels: { k: 'v' },
        items: [{ name: 'n' }],
        embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
      },
    });
  });
});

describe('defaulting', () => {
  it('sets absent fields, inside list items, map values and the defaults themselves; drops nulls of non-nullable fields', () => {
    const schema = object({
      spec: object({
        replicas: { type: 'integer', default: 1 },
        nested: object({ inner: { type: 'string', default: 'x' } }, { default: {} }),
        ports: { type: 'array', items: object({ protocol: { type: 'string', default: 'TCP' } }) },
        byName: { type: 'object', additionalProperties: object({ on: { type: 'boolean', default: true } }) },
        gone: { type: 'string' },
        kept: { type: 'string', nullable: true },
        nulled: { type: 'string', default: 'd' },
      }),
    });
    const obj = { spec: { ports: [{}, { protocol: 'UDP' }], byName: { a: {} }, gone: null, kept: null, nulled: null } };
    applyDefaults(obj, schema);
    assert.deepEqual(obj.spec, {
      replicas: 1,
      nested: { inner: 'x' },
      ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }],
      byName: { a: { on: true } },
      kept: null,
      nulled: 'd',
    });
  });
});

describe('validation', () => {
  const validate = compileSchemaValidator(
    object({
      spec: object(
        {
          replicas: { type: 'integer', minimum: 0, maximum: 10 },
          name: { type: 'string', pattern: '^[a-z]+\\z', maxLength: 5 },
          port: { 'x-kubernetes-int-or-string': true },
          timeout: { type: 'string', format: 'duration' },
          email: { type: 'string', format: 'email' },
          unknownFormat: { type: 'string', format: 'k8s-something' },
          mode: { type: 'string', enum: ['a', 'b'] },
          note: { type: 'string', nullable: true },
          list: { type: 'array', maxItems: 2, items: { type: 'integer' } },
        },
        { required: ['replicas'] },
      ),
    }),
  );

  it('accepts a valid object: int-or-string either way, Go durations, unknown formats, nulls where nullable', () => {
    assert.deepEqual(
      validate({ spec: { replicas: 1, port: 'http', timeout: '1h30m', unknownFormat: '?', note: null } }),
      [],
    );
    assert.deepEqual(validate({ spec: { replicas: 1, port: 8080 } }), []);
  });

  it('reports each violation at its field path in Kubernetes’ words', () => {
    const errors = validate({
      spec: { replicas: 'string', name: 'ABCDEFG', port: 1.5, email: 'nope', mode: 'c', list: [1, 2, 3] },
    });
    const messages = errors.map((e) => `${e.path}: ${e.message}`);
    assert.deepEqual(messages.sort(), [
      'spec.email: Invalid value: "nope": spec.email in body must be of type email: "nope"',
      'spec.list: Too many: 3: must have at most 2 items',
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
      'spec.name: Invalid value: "ABCDEFG": spec.name in body should match \'^[a-z]+\\z\'',
      'spec.name: Too long: may not be longer than 5',
      'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"',
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    ]);
    assert.equal(errors.find((e) => e.path === 'spec.replicas')?.type, 'FieldValueTypeInvalid');
  });

  it('reports a missing required field and bounds', () => {
    assert.deepEqual(
      validate({ spec: {} }).map((e) => `${e.path}: ${e.message}`),
      ['spec.replicas: Required value'],
    );
    assert.deepEqual(
      validate({ spec: { replicas: 11 } }).map((e) => e.message),
      ['Invalid value: 11: spec.replicas in body should be less than or equal to 10'],
    );
  });

  it('checks each field against its own pattern when a schema has several', () => {
    const several = compileSchemaValidator(
      object({ a: { type: 'string', pattern: '^a+$' }, b: { type: 'string', pattern: '^b+$' } }),
    );
    assert.deepEqual(several({ a: 'aa', b: 'bb' }), []);
    assert.deepEqual(
      several({ a: 'bb', b: 'aa' }).map((e) => e.path),
      ['a', 'b'],
    );
  });

  it('compiles patterns with RE2: lookaround, which Go does not have, is refused', () => {
    assert.throws(
      () => compileSchemaValidator(object({ a: { type: 'string', pattern: '(?=a)' } })),
      /invalid or unsupported Perl syntax/,
    );
  });
});

describe('list types', () => {
  it('refuses duplicate set values and duplicate map keys, naming the second item', () => {
    const schema = object({
      tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      ports: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name', 'protocol'],
        items: object({ name: { type: 'string' }, protocol: { type: 'string' } }),
      },
    });
    const errors = listTypeErrors(schema, {
      tags: ['a', 'b', 'a'],
      ports: [
        { name: 'http', protocol: 'TCP' },
        { name: 'http', protocol: 'UDP' },
        { name: 'http', protocol: 'TCP' },
      ],
    });
    assert.deepEqual(
      errors.map((e) => `${e.path}: ${e.message}`),
      [
        'tags[2]: Duplicate value: "a"',
        'ports[2]: Duplicate value: map[string]interface {}{"name":"http", "protocol":"TCP"}',
      ],
    );
  });
});

describe('embedded resources', () => {
  it('require apiVersion and kind', () => {
    const schema = object({
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
      },
    });
    assert.deepEqual(embeddedResourceErrors(schema, { template: { apiVersion: 'v1', kind: 'Pod' } }), []);
    assert.deepEqual(
      embeddedResourceErrors(schema, { template: { kind: 'Pod' } }).map((e) => `${e.path}: ${e.message}`),
      ['template.apiVersion: Required value: must not be empty'],
    );
  });
});

describe('ratcheting', () => {
  const validate = compileSchemaValidator(
    object({
      spec: object({
        size: { type: 'string', maxLength: 3 },
        ports: { type: 'array', items: object({ n: { type: 'integer' } }, { required: ['n'] }) },
      }),
    }),
  );
  const paths = (obj: unknown, old: unknown) => ratchet(validate(obj), obj, old).map((e) => e.path);

  it('drops errors of fields the update left as they were, keeps those of changed fields', () => {
    const old = { spec: { size: 'large', ports: [{}] } };
    assert.deepEqual(paths({ spec: { size: 'large', ports: [{}] } }, old), []);
    assert.deepEqual(paths({ spec: { size: 'larger', ports: [{}] } }, old), ['spec.size']);
    assert.deepEqual(paths({ spec: { size: 'large', ports: [{ x: 1 }] } }, old), ['spec.ports[0].n']);
  });

  it('reads values at field paths with indexes', () => {
    assert.equal(valueAt({ a: { b: [{ c: 1 }, { c: 2 }] } }, 'a.b[1].c'), 2);
    assert.equal(valueAt({ a: {} }, 'a.b[1].c'), undefined);
  });
});
