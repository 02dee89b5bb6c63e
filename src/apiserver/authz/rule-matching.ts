/**
 * Whether one RBAC policy rule or subject covers a request, exactly as k8s
 * `rbac.RuleAllows` / `rbacv1helpers.*Matches` and `appliesToUser` decide it.
 */
import { matchAll, type PolicyRule, type Subject, serviceAccountUserName } from '../../api/rbac/types.js';
import type { RequestAttributes, UserInfo } from '../types.js';

export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.resourceRequest) {
    const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup) &&
      resourceMatches(rule, combined, attrs.subresource) &&
      resourceNameMatches(rule, attrs.name)
    );
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path);
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return (rule.verbs ?? []).some((v) => v === matchAll || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === matchAll || g === group);
}

/**
 * `*` matches everything; `res/sub` matches exactly; `*\/sub` matches any resource's `sub`
 * subresource; a plain `res` matches only requests without a subresource.
 */
export function resourceMatches(rule: PolicyRule, combinedResource: string, subresource: string): boolean {
  for (const resource of rule.resources ?? []) {
    if (resource === matchAll || resource === combinedResource) return true;
    if (subresource && resource === `*/${subresource}`) return true;
  }
  return false;
}

/** No resourceNames: any name (including none, as for list and create); else the exact name. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** `*`, the exact path, or a prefix when the rule's URL ends in `*` (`/healthz/*`). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs ?? []) {
    if (url === matchAll || url === path) return true;
    if (url.endsWith('*') && path.startsWith(url.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/**
 * Whether `subject` denotes `user`. A ServiceAccount subject without a namespace means the
 * binding's own namespace (`bindingNamespace`, '' for cluster bindings, where it never matches).
 */
export function subjectMatches(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.name === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== '' && user.name === serviceAccountUserName(namespace, subject.name);
    }
    default:
      return false;
  }
}
