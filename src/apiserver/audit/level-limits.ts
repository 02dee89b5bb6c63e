/**
 * What no policy may change: the levels enforced in code after the policy has spoken.
 *
 * - Secret material is never written. Objects holding it (Secrets, ShootStates with every
 *   shoot's CA keys, Gardener's InternalSecrets, token reviews and requests) and the answers
 *   that carry credentials (`shoots/adminkubeconfig`, `shoots/viewerkubeconfig`, any `token`
 *   subresource) are recorded at Metadata at most, as Kubernetes advises for Secrets.
 * - A binding (`shoots/binding`, which moves a control plane to another seed, and
 *   `pods/binding`) is recorded at Request at least, whatever the policy says.
 *
 * The lists name resources of the garden and the shoots alike: a server that does not serve one
 * never matches it, and no server can forget to protect one.
 */

import { type AuditLevel, levelAtLeast } from './event.js';
import type { AuditAttributes } from './policy.js';

interface ResourceMatch {
  group: string;
  resource: string;
  /** `*`: with or without a subresource. */
  subresource: string;
}

const secretBearing: readonly ResourceMatch[] = [
  { group: '', resource: 'secrets', subresource: '*' },
  { group: 'core.gardener.cloud', resource: 'shootstates', subresource: '*' },
  { group: 'core.gardener.cloud', resource: 'internalsecrets', subresource: '*' },
  { group: 'core.gardener.cloud', resource: 'shoots', subresource: 'adminkubeconfig' },
  { group: 'core.gardener.cloud', resource: 'shoots', subresource: 'viewerkubeconfig' },
  { group: 'authentication.k8s.io', resource: 'tokenreviews', subresource: '*' },
  { group: 'authentication.k8s.io', resource: 'tokenrequests', subresource: '*' },
];

const bindings: readonly ResourceMatch[] = [
  { group: 'core.gardener.cloud', resource: 'shoots', subresource: 'binding' },
  { group: '', resource: 'pods', subresource: 'binding' },
];

function matches(list: readonly ResourceMatch[], info: AuditAttributes['info']): boolean {
  return (
    info.resourceRequest &&
    list.some(
      (m) =>
        m.group === info.apiGroup &&
        m.resource === info.resource &&
        (m.subresource === '*' || m.subresource === info.subresource),
    )
  );
}

/** True when the request's objects may hold secret material: never more than Metadata. */
export function holdsSecrets(info: AuditAttributes['info']): boolean {
  return (info.resourceRequest && info.subresource === 'token') || matches(secretBearing, info);
}

/** True for a binding: recorded at Request at least, at its ResponseComplete stage whatever stages the policy omits. */
export function isBinding(info: AuditAttributes['info']): boolean {
  return matches(bindings, info);
}

/** The level `policyLevel` becomes once the limits above apply. */
export function enforceLevelLimits(policyLevel: AuditLevel, info: AuditAttributes['info']): AuditLevel {
  if (holdsSecrets(info)) return levelAtLeast(policyLevel, 'Metadata') ? 'Metadata' : policyLevel;
  if (isBinding(info) && !levelAtLeast(policyLevel, 'Request')) return 'Request';
  return policyLevel;
}
