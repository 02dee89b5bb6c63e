/**
 * Audit policies in kube-apiserver's format (`audit.k8s.io/v1` Policy): rules matched in order
 * by users, user groups, verbs, resources (group, resources with subresources, resource names),
 * namespaces and non-resource URLs; the first rule that matches gives the level and the stages
 * left out; no match is level None (k8s apiserver/pkg/audit/policy/checker.go). Parsing checks
 * the file as kube-apiserver's validation does and names every mistake by its field path.
 */
import { parse as parseYaml } from 'yaml';
import { isRecord } from '../../api/meta.js';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';
import { type AuditLevel, type AuditStage, auditLevels, auditStages } from './event.js';

export interface GroupResources {
  /** The API group; "" is the core group. */
  group?: string;
  // `pods`, `pods/log`, `*`, `*/status` or `pods/*`; none: every resource of the group.
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  /** "" matches cluster-scoped resources. */
  namespaces?: string[];
  /** `/healthz`, `/apis*`; only with non-resource requests. */
  nonResourceURLs?: string[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

export interface AuditPolicy {
  apiVersion: 'audit.k8s.io/v1';
  kind: 'Policy';
  rules: PolicyRule[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

/** What a request is, as the policy sees it: the request info and the authenticated user, if any. */
export interface AuditAttributes {
  user: UserInfo | undefined;
  info: Pick<
    RequestInfo,
    'resourceRequest' | 'verb' | 'apiGroup' | 'namespace' | 'resource' | 'subresource' | 'name' | 'path'
  >;
}

/** What the policy decides for a request. */
export interface PolicyDecision {
  level: AuditLevel;
  omitStages: readonly AuditStage[];
  omitManagedFields: boolean;
}

/**
 * Transplant's default policy (docs/security.md, "Audit log"): nothing for probes, discovery and
 * reads of Events; the request and response of every write to Shoots (and their binding) and to
 * RBAC; metadata for everything else. RequestReceived is left out: ResponseComplete carries all
 * it says and the outcome.
 */
export const defaultAuditPolicy: AuditPolicy = Object.freeze({
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version', '/version/'] },
    { level: 'None', verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/openapi/*'] },
    {
      level: 'None',
      verbs: ['get', 'list', 'watch'],
      resources: [
        { group: '', resources: ['events'] },
        { group: 'events.k8s.io', resources: ['events'] },
      ],
    },
    {
      level: 'RequestResponse',
      verbs: ['create', 'update', 'patch', 'delete'],
      resources: [{ group: 'core.gardener.cloud', resources: ['shoots', 'shoots/binding'] }],
    },
    {
      level: 'RequestResponse',
      verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
      resources: [{ group: 'rbac.authorization.k8s.io' }],
    },
    { level: 'Metadata' },
  ],
} satisfies AuditPolicy) as AuditPolicy;

/** The level and omitted stages the first matching rule gives; no match is None. */
export function evaluatePolicy(policy: AuditPolicy, attrs: AuditAttributes): PolicyDecision {
  for (const rule of policy.rules) {
    if (!ruleMatches(rule, attrs)) continue;
    return {
      level: rule.level,
      omitStages: [...new Set([...(policy.omitStages ?? []), ...(rule.omitStages ?? [])])],
      omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields ?? false,
    };
  }
  return { level: 'None', omitStages: policy.omitStages ?? [], omitManagedFields: policy.omitManagedFields ?? false };
}

function ruleMatches(rule: PolicyRule, { user, info }: AuditAttributes): boolean {
  const { users, userGroups } = rule;
  if (users?.length && !(user && users.includes(user.name))) return false;
  if (userGroups?.length && !user?.groups.some((g) => userGroups.includes(g))) return false;
  if (rule.verbs?.length && !rule.verbs.includes(info.verb)) return false;
  if (rule.namespaces?.length || rule.resources?.length) return info.resourceRequest && resourceMatches(rule, info);
  if (rule.nonResourceURLs?.length) {
    return !info.resourceRequest && rule.nonResourceURLs.some((spec) => pathMatches(info.path, spec));
  }
  return true;
}

function resourceMatches(rule: PolicyRule, info: AuditAttributes['info']): boolean {
  // Cluster-scoped resources have the namespace "".
  if (rule.namespaces?.length && !rule.namespaces.includes(info.namespace)) return false;
  if (!rule.resources?.length) return true;
  const combined = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  return rule.resources.some((gr) => {
    if ((gr.group ?? '') !== info.apiGroup) return false;
    if (!gr.resources?.length) return true;
    if (gr.resourceNames?.length && !gr.resourceNames.includes(info.name)) return false;
    return gr.resources.some(
      (r) =>
        r === combined ||
        r === '*' ||
        (info.subresource !== '' && r.startsWith('*/') && r.slice(2) === info.subresource) ||
        (r.endsWith('/*') && r.slice(0, -2) === info.resource),
    );
  });
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

/** An audit policy file that is not valid; the message names the file and each mistake. */
export class InvalidAuditPolicyError extends Error {
  constructor(source: string, problems: readonly string[]) {
    super(`audit policy ${source} is not valid:\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidAuditPolicyError';
  }
}

/** Reads a policy from YAML or JSON text (`source` names it in errors). */
export function parseAuditPolicy(text: string, source: string): AuditPolicy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InvalidAuditPolicyError(source, [`not YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
  const problems = validateAuditPolicy(doc);
  if (problems.length > 0) throw new InvalidAuditPolicyError(source, problems);
  return doc as AuditPolicy;
}

const ruleFields = new Set([
  'level',
  'users',
  'userGroups',
  'verbs',
  'resources',
  'namespaces',
  'nonResourceURLs',
  'omitStages',
  'omitManagedFields',
]);
const policyFields = new Set(['apiVersion', 'kind', 'metadata', 'rules', 'omitStages', 'omitManagedFields']);

/** Every mistake in `doc` as a policy, `path: problem` (k8s apis/audit/validation). */
export function validateAuditPolicy(doc: unknown): string[] {
  if (!isRecord(doc)) return ['the document must be an object (kind: Policy)'];
  const problems: string[] = [];
  if (doc.apiVersion !== 'audit.k8s.io/v1') {
    problems.push(
      `apiVersion: Unsupported value: ${JSON.stringify(doc.apiVersion)}: supported values: "audit.k8s.io/v1"`,
    );
  }
  if (doc.kind !== 'Policy')
    problems.push(`kind: Unsupported value: ${JSON.stringify(doc.kind)}: supported values: "Policy"`);
  for (const key of Object.keys(doc)) if (!policyFields.has(key)) problems.push(`${key}: unknown field`);
  problems.push(...stagesProblems(doc.omitStages, 'omitStages'));
  if (doc.omitManagedFields !== undefined && typeof doc.omitManagedFields !== 'boolean') {
    problems.push('omitManagedFields: must be true or false');
  }
  if (!Array.isArray(doc.rules)) {
    problems.push('rules: Required value: a list of rules');
    return problems;
  }
  problems.push(...doc.rules.flatMap((rule, i) => ruleProblems(rule, `rules[${i}]`)));
  return problems;
}

function ruleProblems(rule: unknown, path: string): string[] {
  if (!isRecord(rule)) return [`${path}: must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(rule)) if (!ruleFields.has(key)) problems.push(`${path}.${key}: unknown field`);
  if (rule.level === undefined) problems.push(`${path}.level: Required value`);
  else if (!auditLevels.includes(rule.level as AuditLevel)) {
    problems.push(
      `${path}.level: Unsupported value: ${JSON.stringify(rule.level)}: supported values: ${quoted(auditLevels)}`,
    );
  }
  for (const field of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
    problems.push(...stringListProblems(rule[field], `${path}.${field}`));
  }
  problems.push(...stagesProblems(rule.omitStages, `${path}.omitStages`));
  if (rule.omitManagedFields !== undefined && typeof rule.omitManagedFields !== 'boolean') {
    problems.push(`${path}.omitManagedFields: must be true or false`);
  }
  const hasResources = Array.isArray(rule.resources) && rule.resources.length > 0;
  const hasNamespaces = Array.isArray(rule.namespaces) && rule.namespaces.length > 0;
  if (Array.isArray(rule.nonResourceURLs) && rule.nonResourceURLs.length > 0) {
    if (hasResources || hasNamespaces) {
      problems.push(
        `${path}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs`,
      );
    }
    rule.nonResourceURLs.forEach((url, j) => {
      if (typeof url !== 'string') return;
      if (!url.startsWith('/') && url !== '*') {
        problems.push(
          `${path}.nonResourceURLs[${j}]: Invalid value: ${JSON.stringify(url)}: non-resource URL must start with "/"`,
        );
      } else if (url.slice(0, -1).includes('*')) {
        problems.push(
          `${path}.nonResourceURLs[${j}]: Invalid value: ${JSON.stringify(url)}: "*" is allowed only at the end`,
        );
      }
    });
  }
  if (rule.resources !== undefined) {
    if (!Array.isArray(rule.resources)) problems.push(`${path}.resources: must be a list`);
    else problems.push(...rule.resources.flatMap((gr, j) => groupResourcesProblems(gr, `${path}.resources[${j}]`)));
  }
  return problems;
}

function groupResourcesProblems(gr: unknown, path: string): string[] {
  if (!isRecord(gr)) return [`${path}: must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(gr)) {
    if (!['group', 'resources', 'resourceNames'].includes(key)) problems.push(`${path}.${key}: unknown field`);
  }
  if (gr.group !== undefined && typeof gr.group !== 'string') problems.push(`${path}.group: must be a string`);
  else if (gr.group && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(gr.group)) {
    problems.push(`${path}.group: Invalid value: ${JSON.stringify(gr.group)}: must be a DNS subdomain`);
  }
  problems.push(...stringListProblems(gr.resources, `${path}.resources`));
  problems.push(...stringListProblems(gr.resourceNames, `${path}.resourceNames`));
  if (
    Array.isArray(gr.resourceNames) &&
    gr.resourceNames.length > 0 &&
    !(Array.isArray(gr.resources) && gr.resources.length > 0)
  ) {
    problems.push(`${path}.resourceNames: Invalid value: using resourceNames requires at least one resource`);
  }
  if (Array.isArray(gr.resources)) {
    gr.resources.forEach((r, j) => {
      if (typeof r === 'string' && (r === '' || r.split('/').length > 2 || r.split('/').some((part) => part === ''))) {
        problems.push(
          `${path}.resources[${j}]: Invalid value: ${JSON.stringify(r)}: must be resource, resource/subresource, */subresource or resource/*`,
        );
      }
    });
  }
  return problems;
}

function stringListProblems(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [`${path}: must be a list of strings`];
  return value.flatMap((v, i) => (typeof v === 'string' ? [] : [`${path}[${i}]: must be a string`]));
}

function stagesProblems(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [`${path}: must be a list of stages`];
  return value.flatMap((stage, i) =>
    auditStages.includes(stage as AuditStage)
      ? []
      : [`${path}[${i}]: Unsupported value: ${JSON.stringify(stage)}: supported values: ${quoted(auditStages)}`],
  );
}

function quoted(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}
