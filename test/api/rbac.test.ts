import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import {
  validateClusterRole,
  validateClusterRoleBinding,
  validateClusterRoleBindingUpdate,
  validateRbacName,
  validateRole,
  validateRoleBinding,
  validateRoleBindingUpdate,
} from '../../src/api/rbac/validation.js';
import { RBAC_GROUP, sampleBinding as rb, sampleRole as role } from '../helpers/sample-objects.js';

const group = RBAC_GROUP;

/** `path: type` of each error, the part tests compare. */
function summary(errors: FieldError[]): string[] {
  return errors.map((e) => `${e.path}: ${e.type}`);
}

describe('rbac: policy rule validation', () => {
  const cases: [string, unknown, boolean, string[]][] = [
    ['a resource rule', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, true, []],
    [
      'a subresource rule with names',
      { verbs: ['update'], apiGroups: ['x'], resources: ['shoots/binding'], resourceNames: ['a'] },
      true,
      [],
    ],
    ['no verbs', { verbs: [], apiGroups: [''], resources: ['pods'] }, true, ['rules[0].verbs: FieldValueRequired']],
    ['verbs missing entirely', { apiGroups: [''], resources: ['pods'] }, false, ['rules[0].verbs: FieldValueRequired']],
    ['no apiGroups', { verbs: ['get'], resources: ['pods'] }, true, ['rules[0].apiGroups: FieldValueRequired']],
    ['no resources', { verbs: ['get'], apiGroups: [''] }, true, ['rules[0].resources: FieldValueRequired']],
    ['non-resource URLs in a ClusterRole', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, false, []],
    [
      'non-resource URLs in a Role',
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      true,
      ['rules[0].nonResourceURLs: FieldValueInvalid'],
    ],
    [
      'non-resource URLs mixed with resources',
      { verbs: ['get'], nonResourceURLs: ['/healthz'], resources: ['pods'] },
      false,
      ['rules[0].nonResourceURLs: FieldValueInvalid'],
    ],
    [
      'verbs not a list',
      { verbs: 'get', apiGroups: [''], resources: ['pods'] },
      true,
      ['rules[0].verbs: FieldValueTypeInvalid'],
    ],
    [
      'a non-string verb',
      { verbs: ['get', 3], apiGroups: [''], resources: ['pods'] },
      true,
      ['rules[0].verbs[1]: FieldValueTypeInvalid'],
    ],
    ['a rule that is not an object', 'get pods', true, ['rules[0]: FieldValueTypeInvalid']],
  ];
  for (const [title, rule, namespaced, expected] of cases) {
    it(title, () => {
      const obj = role([rule]);
      const errors = namespaced ? validateRole(obj) : validateClusterRole({ ...obj, kind: 'ClusterRole' });
      assert.deepEqual(summary(errors), expected);
    });
  }

  it('messages follow k8s', () => {
    assert.equal(
      validateRole(role([{ verbs: [], apiGroups: [''], resources: ['pods'] }]))[0]?.message,
      'Required value: verbs must contain at least one value',
    );
    assert.match(
      validateRole(role([{ verbs: ['get'], nonResourceURLs: ['/x'] }]))[0]?.message ?? '',
      /namespaced rules cannot apply to non-resource URLs$/,
    );
  });

  it('rules may be absent; rules that are not a list are invalid', () => {
    assert.deepEqual(validateRole(role(undefined)), []);
    assert.deepEqual(summary(validateRole(role({}))), ['rules: FieldValueTypeInvalid']);
  });

  it('aggregationRule needs selectors', () => {
    const cr = (aggregationRule: unknown): KubeObject => ({ metadata: { name: 'agg' }, aggregationRule });
    assert.deepEqual(validateClusterRole(cr({ clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] })), []);
    assert.deepEqual(summary(validateClusterRole(cr({ clusterRoleSelectors: [] }))), [
      'aggregationRule.clusterRoleSelectors: FieldValueRequired',
    ]);
  });
});

describe('rbac: binding validation', () => {
  const cases: [string, KubeObject, string[]][] = [
    ['a RoleBinding to a ClusterRole', rb({}, 'ns'), []],
    ['a RoleBinding to a Role', rb({ roleRef: { apiGroup: group, kind: 'Role', name: 'edit' } }, 'ns'), []],
    [
      'a ClusterRoleBinding to a Role',
      rb({ roleRef: { apiGroup: group, kind: 'Role', name: 'edit' } }),
      ['roleRef.kind: FieldValueNotSupported'],
    ],
    [
      'roleRef kind unknown',
      rb({ roleRef: { apiGroup: group, kind: 'Thing', name: 'x' } }, 'ns'),
      ['roleRef.kind: FieldValueNotSupported'],
    ],
    [
      'roleRef apiGroup wrong',
      rb({ roleRef: { apiGroup: 'x', kind: 'ClusterRole', name: 'x' } }, 'ns'),
      ['roleRef.apiGroup: FieldValueNotSupported'],
    ],
    [
      'roleRef name missing',
      rb({ roleRef: { apiGroup: group, kind: 'ClusterRole' } }, 'ns'),
      ['roleRef.name: FieldValueRequired'],
    ],
    [
      'roleRef name with a slash',
      rb({ roleRef: { apiGroup: group, kind: 'ClusterRole', name: 'a/b' } }, 'ns'),
      ['roleRef.name: FieldValueInvalid'],
    ],
    [
      'roleRef name with colons',
      rb({ roleRef: { apiGroup: group, kind: 'ClusterRole', name: 'system:auth-delegator' } }),
      [],
    ],
    ['roleRef missing', rb({ roleRef: undefined }, 'ns'), ['roleRef: FieldValueRequired']],
    ['no subjects', rb({ subjects: undefined }, 'ns'), []],
    ['Group subject', rb({ subjects: [{ kind: 'Group', apiGroup: group, name: 'devs' }] }), []],
    [
      'subject kind unknown',
      rb({ subjects: [{ kind: 'Robot', name: 'x' }] }, 'ns'),
      ['subjects[0].kind: FieldValueNotSupported'],
    ],
    [
      'User subject without apiGroup',
      rb({ subjects: [{ kind: 'User', name: 'x' }] }, 'ns'),
      ['subjects[0].apiGroup: FieldValueNotSupported'],
    ],
    [
      'subject without name',
      rb({ subjects: [{ kind: 'User', apiGroup: group }] }, 'ns'),
      ['subjects[0].name: FieldValueRequired'],
    ],
    [
      'ServiceAccount without namespace in a RoleBinding',
      rb({ subjects: [{ kind: 'ServiceAccount', name: 'robot' }] }, 'ns'),
      [],
    ],
    [
      'ServiceAccount without namespace in a ClusterRoleBinding',
      rb({ subjects: [{ kind: 'ServiceAccount', name: 'robot' }] }),
      ['subjects[0].namespace: FieldValueRequired'],
    ],
    [
      'ServiceAccount with an apiGroup and a bad name',
      rb({ subjects: [{ kind: 'ServiceAccount', apiGroup: group, name: 'Robot_1', namespace: 'ns' }] }, 'ns'),
      ['subjects[0].name: FieldValueInvalid', 'subjects[0].apiGroup: FieldValueNotSupported'],
    ],
    ['subjects not a list', rb({ subjects: 'jane' }, 'ns'), ['subjects: FieldValueTypeInvalid']],
  ];
  for (const [title, obj, expected] of cases) {
    it(title, () => {
      const errors = obj.metadata.namespace ? validateRoleBinding(obj) : validateClusterRoleBinding(obj);
      assert.deepEqual(summary(errors), expected);
    });
  }

  it('roleRef is immutable on update; subjects may change', () => {
    const old = rb({}, 'ns');
    assert.deepEqual(validateRoleBindingUpdate(rb({ subjects: [] }, 'ns'), old), []);
    const changed = rb({ roleRef: { apiGroup: group, kind: 'ClusterRole', name: 'admin' } }, 'ns');
    const errors = validateRoleBindingUpdate(changed, old);
    assert.deepEqual(summary(errors), ['roleRef: FieldValueInvalid']);
    assert.match(errors[0]!.message, /cannot change roleRef$/);
    assert.deepEqual(
      summary(
        validateClusterRoleBindingUpdate(rb({ roleRef: { apiGroup: group, kind: 'ClusterRole', name: 'x' } }), rb({})),
      ),
      ['roleRef: FieldValueInvalid'],
    );
  });

  it('RBAC names: anything but . and .. and / and %', () => {
    assert.deepEqual(validateRbacName('system:controller:foo'), []);
    assert.deepEqual(validateRbacName('..'), ["may not be '..'"]);
    assert.deepEqual(validateRbacName('a/b%c'), ["may not contain '/'", "may not contain '%'"]);
  });
});
