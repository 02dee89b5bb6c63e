/**
 * The RBAC authorizer (k8s plugin/pkg/auth/authorizer/rbac): ClusterRoleBindings grant their
 * ClusterRole everywhere; RoleBindings grant their Role or ClusterRole inside their own
 * namespace. It allows or has no opinion, never denies. ClusterRole `aggregationRule` is not
 * evaluated (Kubernetes leaves that to a controller that fills `rules`; Transplant has none).
 */
import type { PolicyRule, Subject } from '../../api/rbac/types.js';
import type { AuthorizationResult, Authorizer, RequestAttributes, UserInfo } from '../types.js';
import type { RbacSource } from './rbac-source.js';
import { ruleAllows, subjectMatches } from './rule-matching.js';

const noOpinion: AuthorizationResult = Object.freeze({ decision: 'noOpinion', reason: '' });

export class RbacAuthorizer implements Authorizer {
  readonly #source: RbacSource;

  constructor(source: RbacSource) {
    this.#source = source;
  }

  async authorize(attrs: RequestAttributes): Promise<AuthorizationResult> {
    return this.authorizeSync(attrs);
  }

  /** The same decision without a promise, for callers that hold the cache already. */
  authorizeSync(attrs: RequestAttributes): AuthorizationResult {
    for (const binding of this.#source.listClusterRoleBindings()) {
      const subject = matchingSubject(attrs, binding.subjects, '');
      if (!subject || binding.roleRef?.kind !== 'ClusterRole') continue;
      const rules = this.#source.getClusterRole(binding.roleRef.name)?.rules;
      if (anyRuleAllows(attrs, rules)) {
        return allowed(
          `ClusterRoleBinding "${binding.metadata.name}" of ClusterRole "${binding.roleRef.name}" to ${describe(subject, '')}`,
        );
      }
    }
    if (!attrs.namespace) return noOpinion;
    for (const binding of this.#source.listRoleBindings(attrs.namespace)) {
      const namespace = binding.metadata.namespace ?? attrs.namespace;
      const subject = matchingSubject(attrs, binding.subjects, namespace);
      if (!subject) continue;
      const { kind, name } = binding.roleRef ?? {};
      if (anyRuleAllows(attrs, this.#rulesOf(namespace, binding.roleRef)?.rules)) {
        return allowed(
          `RoleBinding "${binding.metadata.name}/${namespace}" of ${kind} "${name}" to ${describe(subject, namespace)}`,
        );
      }
    }
    return noOpinion;
  }

  /**
   * The rules granted to `user` in `namespace`, cluster-wide ones included (k8s
   * RulesFor, what a SelfSubjectRulesReview lists): the ClusterRoles of matching
   * ClusterRoleBindings, then the roles of matching RoleBindings of the namespace.
   */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const binding of this.#source.listClusterRoleBindings()) {
      if (binding.roleRef?.kind !== 'ClusterRole') continue;
      if (!(binding.subjects ?? []).some((s) => subjectMatches(user, s, ''))) continue;
      rules.push(...(this.#source.getClusterRole(binding.roleRef.name)?.rules ?? []));
    }
    if (!namespace) return rules;
    for (const binding of this.#source.listRoleBindings(namespace)) {
      const bindingNamespace = binding.metadata.namespace ?? namespace;
      if (!(binding.subjects ?? []).some((s) => subjectMatches(user, s, bindingNamespace))) continue;
      rules.push(...(this.#rulesOf(bindingNamespace, binding.roleRef)?.rules ?? []));
    }
    return rules;
  }

  /** The Role (of `namespace`) or ClusterRole a RoleBinding refers to. */
  #rulesOf(namespace: string, ref: { kind?: string; name?: string } | undefined): { rules?: PolicyRule[] } | undefined {
    if (ref?.kind === 'ClusterRole') return this.#source.getClusterRole(ref.name ?? '');
    if (ref?.kind === 'Role') return this.#source.getRole(namespace, ref.name ?? '');
    return undefined;
  }
}

function allowed(source: string): AuthorizationResult {
  return { decision: 'allow', reason: `RBAC: allowed by ${source}` };
}

function matchingSubject(
  attrs: RequestAttributes,
  subjects: readonly Subject[] | undefined,
  namespace: string,
): Subject | undefined {
  return (subjects ?? []).find((s) => subjectMatches(attrs.user, s, namespace));
}

function anyRuleAllows(attrs: RequestAttributes, rules: readonly PolicyRule[] | undefined): boolean {
  return (rules ?? []).some((rule) => ruleAllows(attrs, rule));
}

/** k8s `describeSubject`: `User "jane"`, `ServiceAccount "name/namespace"`. */
function describe(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `ServiceAccount "${subject.name}/${subject.namespace || bindingNamespace}"`;
  }
  return `${subject.kind} "${subject.name}"`;
}
