import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isCronSchedule,
  isQuantity,
  isRfc3339,
  parseDuration,
  validateConditions,
  validateFqdn,
  validateLastOperation,
  validateNamedResourceReferences,
  validateSecretReference,
} from '../../../src/api/extensions/index.js';

function paths(errors: { path: string; type: string }[]): [string, string][] {
  return errors.map((e) => [e.path, e.type]);
}

describe('field validation helpers', () => {
  it('isRfc3339 accepts Z, fractions and numeric offsets (date -Iseconds) and rejects impossible dates', () => {
    for (const ok of [
      '2026-11-23T19:40:00Z',
      '2026-11-23T19:40:00.123456Z',
      '2026-11-23T19:40:00+00:00',
      '2026-11-23T20:40:00+01:00',
      '2024-02-29T00:00:00-05:30',
    ]) {
      assert.ok(isRfc3339(ok), ok);
    }
    for (const bad of [
      '2026-11-23',
      '2026-11-23 19:40:00Z',
      '2026-13-01T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-11-23T24:00:00Z',
      '2026-11-23T19:40:00',
      '2026-11-23T19:40:00+0000',
      'yesterday',
    ]) {
      assert.ok(!isRfc3339(bad), bad);
    }
  });

  it('parseDuration reads Go durations', () => {
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2.5s'), 2_500);
    assert.equal(parseDuration('100ms'), 100);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('5'), undefined);
    assert.equal(parseDuration('5mm'), undefined);
    assert.equal(parseDuration(''), undefined);
  });

  it('isQuantity and isCronSchedule', () => {
    for (const q of ['8Gi', '500m', '1.5', '2e3', '100M', '16Mi']) assert.ok(isQuantity(q), q);
    for (const q of ['8GB', 'Gi', '1.2.3', '']) assert.ok(!isQuantity(q), q);
    for (const c of ['0 */12 * * *', '*/5 * * * *', '0 0 1,15 * 1-5', '59 23 31 12 7']) assert.ok(isCronSchedule(c), c);
    for (const c of ['* * * *', '60 * * * *', '0 24 * * *', '0 0 0 * *', '*/0 * * * *', 'a b c d e']) {
      assert.ok(!isCronSchedule(c), c);
    }
  });

  it('validateFqdn wants at least two labels', () => {
    assert.deepEqual(validateFqdn('api.my-shoot.dev.local.', 'spec.name'), []);
    assert.deepEqual(paths(validateFqdn('localhost', 'spec.name')), [['spec.name', 'FieldValueInvalid']]);
    assert.deepEqual(paths(validateFqdn('Bad_Name.example.com', 'spec.name')), [['spec.name', 'FieldValueInvalid']]);
    assert.deepEqual(paths(validateFqdn('', 'spec.name')), [['spec.name', 'FieldValueRequired']]);
  });

  it('validateSecretReference reports the name path', () => {
    assert.deepEqual(
      validateSecretReference({ name: 'etcd-backup', namespace: 'shoot--dev--a' }, 'spec.secretRef', true),
      [],
    );
    assert.deepEqual(paths(validateSecretReference(undefined, 'spec.secretRef', true)), [
      ['spec.secretRef.name', 'FieldValueRequired'],
    ]);
    assert.deepEqual(validateSecretReference(undefined, 'spec.secretRef', false), []);
    assert.deepEqual(paths(validateSecretReference({ namespace: 'x' }, 'spec.secretRef', false)), [
      ['spec.secretRef.name', 'FieldValueRequired'],
    ]);
    assert.deepEqual(paths(validateSecretReference('etcd-backup', 'spec.secretRef', true)), [
      ['spec.secretRef', 'FieldValueTypeInvalid'],
    ]);
  });

  it('validateConditions checks types, statuses, duplicates and timestamps', () => {
    assert.deepEqual(
      validateConditions(
        [
          {
            type: 'Succeeded',
            status: 'True',
            reason: 'r',
            message: 'm',
            lastTransitionTime: '2026-11-23T19:40:00+00:00',
            lastUpdateTime: '2026-11-23T19:40:00Z',
          },
        ],
        'status.conditions',
      ),
      [],
    );
    assert.deepEqual(
      paths(
        validateConditions(
          [{ type: 'A', status: 'Yes' }, { type: 'A', status: 'True', lastUpdateTime: 'now' }, { status: 'True' }, 'x'],
          'status.conditions',
        ),
      ),
      [
        ['status.conditions[0].status', 'FieldValueNotSupported'],
        ['status.conditions[1].type', 'FieldValueDuplicate'],
        ['status.conditions[1].lastUpdateTime', 'FieldValueInvalid'],
        ['status.conditions[2].type', 'FieldValueRequired'],
        ['status.conditions[3]', 'FieldValueTypeInvalid'],
      ],
    );
  });

  it('validateLastOperation and validateNamedResourceReferences', () => {
    assert.deepEqual(
      validateLastOperation({ type: 'Migrate', state: 'Succeeded', progress: 100 }, 'status.lastOperation'),
      [],
    );
    assert.deepEqual(paths(validateLastOperation({ type: 'Migrate', progress: 101 }, 'status.lastOperation')), [
      ['status.lastOperation.state', 'FieldValueRequired'],
      ['status.lastOperation.progress', 'FieldValueInvalid'],
    ]);
    assert.deepEqual(
      paths(
        validateNamedResourceReferences(
          [
            { name: 'machine-state', resourceRef: { apiVersion: 'v1', kind: 'Secret', name: 'ms' } },
            { name: 'machine-state', resourceRef: { kind: 'Secret' } },
          ],
          'status.resources',
        ),
      ),
      [
        ['status.resources[1].name', 'FieldValueDuplicate'],
        ['status.resources[1].resourceRef.name', 'FieldValueRequired'],
      ],
    );
  });
});
