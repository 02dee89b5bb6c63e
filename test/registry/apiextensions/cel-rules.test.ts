/**
 * `x-kubernetes-validations` on custom resources: rules at any schema node, messages and message
 * expressions, transition rules with `oldSelf`, integers as CEL ints, Kubernetes' list functions,
 * and rules that do not compile.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONSchemaProps } from '../../../src/api/apiextensions/crd.js';
import { CelRules, celCompileErrors } from '../../../src/registry/apiextensions/cel-rules.js';

const spec = (
  rules: JSONSchemaProps['x-kubernetes-validations'],
  extra: Record<string, JSONSchemaProps> = {},
): JSONSchemaProps => ({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': rules,
      properties: {
        min: { type: 'integer' },
        max: { type: 'integer' },
        ratio: { type: 'number' },
        name: { type: 'string' },
        list: { type: 'array', items: { type: 'integer' } },
        ...extra,
      },
    },
  },
});

const failures = (rules: CelRules, obj: unknown, old?: unknown) =>
  rules.validate(obj, old).map((e) => `${e.path}: ${e.message}`);

describe('CEL validation rules', () => {
  it('reports a failed rule with its message at the node, with the schema type as value', () => {
    const rules = new CelRules(spec([{ rule: 'self.min <= self.max', message: 'min must not exceed max' }]));
    assert.deepEqual(failures(rules, { spec: { min: 1, max: 2 } }), []);
    assert.deepEqual(failures(rules, { spec: { min: 3, max: 2 } }), [
      'spec: Invalid value: "object": min must not exceed max',
    ]);
  });

  it('treats integer fields as CEL ints (arithmetic with int literals) and numbers as doubles', () => {
    const rules = new CelRules(spec([{ rule: 'self.min + 1 <= self.max' }, { rule: 'self.ratio < 1.0' }]));
    assert.deepEqual(failures(rules, { spec: { min: 1, max: 2, ratio: 0.5 } }), []);
    assert.deepEqual(failures(rules, { spec: { min: 2, max: 2, ratio: 0.5 } }), [
      'spec: Invalid value: "object": failed rule: self.min + 1 <= self.max',
    ]);
  });

  it('evaluates messageExpression, and fieldPath and reason place and type the error', () => {
    const rules = new CelRules(
      spec([
        {
          rule: 'self.name.startsWith("w-")',
          messageExpression: '"name " + self.name + " must start with w-"',
          fieldPath: '.name',
          reason: 'FieldValueForbidden',
        },
      ]),
    );
    const [error] = rules.validate({ spec: { name: 'x' } }, undefined);
    assert.deepEqual(error, {
      type: 'FieldValueForbidden',
      path: 'spec.name',
      message: 'Forbidden: name x must start with w-',
    });
  });

  it('skips a transition rule on create and compares with the old object on update', () => {
    const rules = new CelRules(spec([{ rule: 'self.name == oldSelf.name', message: 'name is immutable' }]));
    assert.deepEqual(failures(rules, { spec: { name: 'a' } }), []);
    assert.deepEqual(failures(rules, { spec: { name: 'a' } }, { spec: { name: 'a' } }), []);
    assert.deepEqual(failures(rules, { spec: { name: 'b' } }, { spec: { name: 'a' } }), [
      'spec: Invalid value: "object": name is immutable',
    ]);
  });

  it('binds Kubernetes’ list functions and runs rules on list items and their old counterparts', () => {
    const rules = new CelRules(
      spec(
        [{ rule: 'self.list.isSorted() && self.list.sum() < 10 && self.list.max() == self.list[size(self.list) - 1]' }],
        {
          items: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['key'],
            items: {
              type: 'object',
              'x-kubernetes-validations': [{ rule: 'self.value >= oldSelf.value', message: 'value may only grow' }],
              properties: { key: { type: 'string' }, value: { type: 'integer' } },
            },
          },
        },
      ),
    );
    assert.deepEqual(failures(rules, { spec: { list: [1, 2, 3] } }), []);
    assert.equal(failures(rules, { spec: { list: [3, 2] } }).length, 1);
    const old = { spec: { list: [1], items: [{ key: 'a', value: 5 }] } };
    assert.deepEqual(
      failures(
        rules,
        {
          spec: {
            list: [1],
            items: [
              { key: 'b', value: 1 },
              { key: 'a', value: 6 },
            ],
          },
        },
        old,
      ),
      [],
    );
    assert.deepEqual(failures(rules, { spec: { list: [1], items: [{ key: 'a', value: 4 }] } }, old), [
      'spec.items[0]: Invalid value: "object": value may only grow',
    ]);
  });

  it('binds Kubernetes’ quantity, URL and regex libraries', () => {
    const rules = new CelRules(
      spec([
        { rule: 'quantity(self.name).isLessThan(quantity("1Gi"))', message: 'too big' },
        { rule: 'isQuantity(self.name) && quantity(self.name).add(quantity("500m")).compareTo(quantity("1.5")) >= 0' },
      ]),
    );
    assert.deepEqual(failures(rules, { spec: { name: '512Mi' } }), []);
    assert.deepEqual(failures(rules, { spec: { name: '2Gi' } }), ['spec: Invalid value: "object": too big']);
    const urls = new CelRules(
      spec([
        {
          rule: 'isURL(self.name) && url(self.name).getScheme() == "https" && url(self.name).getHostname() == "example.com"',
        },
      ]),
    );
    assert.deepEqual(failures(urls, { spec: { name: 'https://example.com:8443/x' } }), []);
    assert.equal(failures(urls, { spec: { name: 'example.com' } }).length, 1);
    const regex = new CelRules(
      spec([{ rule: 'self.name.find("[0-9]+") == "42" && self.name.findAll("[a-z]").size() == 2' }]),
    );
    assert.deepEqual(failures(regex, { spec: { name: 'ab42' } }), []);
  });

  it('binds Kubernetes’ IP and CIDR library', () => {
    const rules = new CelRules(
      spec([{ rule: 'isIP(self.name) && cidr("10.0.0.0/8").containsIP(self.name) && ip(self.name).family() == 4' }]),
    );
    assert.deepEqual(failures(rules, { spec: { name: '10.1.2.3' } }), []);
    assert.equal(failures(rules, { spec: { name: '192.168.0.1' } }).length, 1);
    assert.equal(failures(rules, { spec: { name: 'host' } }).length, 1);
  });

  it('leaves out a rule calling a Kubernetes function not bound here, still judges the others', () => {
    const rules = new CelRules(
      spec([
        { rule: 'format.dns1123Label().validate(self.name).hasValue()' },
        { rule: 'self.name.size() < 3', message: 'short names only' },
      ]),
    );
    assert.deepEqual(failures(rules, { spec: { name: 'ab' } }), []);
    assert.deepEqual(failures(rules, { spec: { name: 'abcd' } }), ['spec: Invalid value: "object": short names only']);
  });

  it('reports a rule that does not compile at its path', () => {
    const errors = celCompileErrors(spec([{ rule: 'self.min >' }]), 'spec.versions[0].schema.openAPIV3Schema');
    assert.equal(errors.length, 1);
    assert.equal(
      errors[0]!.path,
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule',
    );
    assert.match(errors[0]!.message, /^Invalid value: "self.min >": compilation failed: /);
    assert.throws(() => new CelRules(spec([{ rule: 'self.min >' }])));
  });
});
