/**
 * Validation of RBAC objects, after k8s pkg/apis/rbac/validation. Pure: each function returns
 * the field errors and changes nothing. ObjectMeta is the generic store's business.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { rbacGroup } from './types.js';

const subjectKinds = ['ServiceAccount', 'User', 'Group'] as const;

/**
 * k8s `ValidateRBACName` (path segment names): RBAC names may contain colons
 * (`system:controller:foo`) but not `/` or `%`, and may not be `.` or `..`.
 */
export function validateRbacName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** k8s `ValidatePolicyRule`. Namespaced rules (in a Role) may not name non-resource URLs. */
export function validatePolicyRule(rule: unknown, namespaced: boolean, path: string): FieldError[] {
  if (!isRecord(rule)) return [FieldError.typeInvalid(path, rule, 'must be an object')];
  const errors: FieldError[] = [];
  const lists = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;
  for (const field of lists) errors.push(...stringList(rule[field], `${path}.${field}`));
  if (errors.length > 0) return errors;
  const len = (field: (typeof lists)[number]) => ((rule[field] as string[] | undefined) ?? []).length;

  if (len('verbs') === 0) errors.push(FieldError.required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (len('nonResourceURLs') > 0) {
    if (namespaced) {
      errors.push(
        FieldError.invalid(
          `${path}.nonResourceURLs`,
          rule.nonResourceURLs,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    if (len('apiGroups') > 0 || len('resources') > 0 || len('resourceNames') > 0) {
      errors.push(
        FieldError.invalid(
          `${path}.nonResourceURLs`,
          rule.nonResourceURLs,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errors;
  }
  if (len('apiGroups') === 0) {
    errors.push(FieldError.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  }
  if (len('resources') === 0) {
    errors.push(FieldError.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  }
  return errors;
}

export function validateRole(obj: KubeObject): FieldError[] {
  return validateRules(obj.rules, true);
}

export function validateClusterRole(obj: KubeObject): FieldError[] {
  const errors = validateRules(obj.rules, false);
  const aggregation = obj.aggregationRule;
  if (aggregation !== undefined && aggregation !== null) {
    if (!isRecord(aggregation)) {
      errors.push(FieldError.typeInvalid('aggregationRule', aggregation, 'must be an object'));
    } else {
      const selectors = aggregation.clusterRoleSelectors;
      if (!Array.isArray(selectors) || selectors.length === 0) {
        errors.push(FieldError.required('aggregationRule.clusterRoleSelectors'));
      } else {
        selectors.forEach((s, i) => {
          if (!isRecord(s)) {
            errors.push(
              FieldError.typeInvalid(`aggregationRule.clusterRoleSelectors[${i}]`, s, 'must be a label selector'),
            );
          }
        });
      }
    }
  }
  return errors;
}

export function validateRoleBinding(obj: KubeObject): FieldError[] {
  return validateBinding(obj, true);
}

export function validateClusterRoleBinding(obj: KubeObject): FieldError[] {
  return validateBinding(obj, false);
}

/** Everything `validateRoleBinding` checks, and `roleRef` may not change. */
export function validateRoleBindingUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateRoleBinding(obj), ...validateRoleRefUnchanged(obj, old)];
}

export function validateClusterRoleBindingUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateClusterRoleBinding(obj), ...validateRoleRefUnchanged(obj, old)];
}

/** k8s `ValidateRoleBindingSubject`. In a ClusterRoleBinding a ServiceAccount needs a namespace. */
export function validateSubject(subject: unknown, namespaced: boolean, path: string): FieldError[] {
  if (!isRecord(subject)) return [FieldError.typeInvalid(path, subject, 'must be an object')];
  const errors: FieldError[] = [];
  for (const field of ['kind', 'apiGroup', 'name', 'namespace']) {
    const value = subject[field];
    if (value !== undefined && typeof value !== 'string') {
      errors.push(FieldError.typeInvalid(`${path}.${field}`, value, 'must be a string'));
    }
  }
  if (errors.length > 0) return errors;
  const name = (subject.name as string | undefined) ?? '';
  const apiGroup = (subject.apiGroup as string | undefined) ?? '';
  if (name === '') errors.push(FieldError.required(`${path}.name`));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name !== '') {
        for (const msg of dnsSubdomainErrors(name)) errors.push(FieldError.invalid(`${path}.name`, name, msg));
      }
      if (apiGroup !== '') errors.push(FieldError.notSupported(`${path}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !subject.namespace) errors.push(FieldError.required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== rbacGroup) errors.push(FieldError.notSupported(`${path}.apiGroup`, apiGroup, [rbacGroup]));
      break;
    default:
      errors.push(FieldError.notSupported(`${path}.kind`, subject.kind ?? '', subjectKinds));
  }
  return errors;
}

function validateRules(rules: unknown, namespaced: boolean): FieldError[] {
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) return [FieldError.typeInvalid('rules', rules, 'must be a list of policy rules')];
  return rules.flatMap((rule, i) => validatePolicyRule(rule, namespaced, `rules[${i}]`));
}

function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const roleRef = obj.roleRef;
  if (!isRecord(roleRef)) {
    errors.push(FieldError.required('roleRef'));
  } else {
    const { apiGroup, kind, name } = roleRef;
    if (apiGroup !== rbacGroup) errors.push(FieldError.notSupported('roleRef.apiGroup', apiGroup ?? '', [rbacGroup]));
    const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
    if (typeof kind !== 'string' || !kinds.includes(kind)) {
      errors.push(FieldError.notSupported('roleRef.kind', kind ?? '', kinds));
    }
    if (name === undefined || name === '') {
      errors.push(FieldError.required('roleRef.name'));
    } else if (typeof name !== 'string') {
      errors.push(FieldError.typeInvalid('roleRef.name', name, 'must be a string'));
    } else {
      for (const msg of validateRbacName(name)) errors.push(FieldError.invalid('roleRef.name', name, msg));
    }
  }
  const subjects = obj.subjects;
  if (subjects !== undefined && subjects !== null) {
    if (!Array.isArray(subjects)) {
      errors.push(FieldError.typeInvalid('subjects', subjects, 'must be a list of subjects'));
    } else {
      errors.push(...subjects.flatMap((s, i) => validateSubject(s, namespaced, `subjects[${i}]`)));
    }
  }
  return errors;
}

function validateRoleRefUnchanged(obj: KubeObject, old: KubeObject): FieldError[] {
  const ref = (o: KubeObject) => {
    const r = isRecord(o.roleRef) ? o.roleRef : {};
    return JSON.stringify([r.apiGroup ?? '', r.kind ?? '', r.name ?? '']);
  };
  return ref(obj) === ref(old) ? [] : [FieldError.invalid('roleRef', obj.roleRef, 'cannot change roleRef')];
}

function stringList(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [FieldError.typeInvalid(path, value, 'must be a list of strings')];
  return value.flatMap((v, i) =>
    typeof v === 'string' ? [] : [FieldError.typeInvalid(`${path}[${i}]`, v, 'must be a string')],
  );
}

const dnsLabel = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dnsSubdomain = new RegExp(`^${dnsLabel}(\\.${dnsLabel})*$`);

/** k8s `IsDNS1123Subdomain` messages (service account names). */
function dnsSubdomainErrors(name: string): string[] {
  const errors: string[] = [];
  if (name.length > 253) errors.push('must be no more than 253 characters');
  if (!dnsSubdomain.test(name)) {
    errors.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errors;
}
