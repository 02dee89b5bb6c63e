/**
 * The text of a 403, word for word as the k8s apiserver writes it (endpoints/handlers/
 * responsewriters `forbiddenMessage`), so kubectl users see familiar errors.
 */
import type { RequestAttributes } from '../types.js';

/**
 * `User "jane" cannot update resource "shoots/binding" in API group "core.gardener.cloud" in the
 * namespace "garden-dev"`; `... at the cluster scope` without a namespace; `User "jane" cannot
 * get path "/metrics"` for non-resource requests. `&`, `<` and `>` are HTML-escaped, as k8s
 * does before writing the message.
 */
export function forbiddenMessage(attrs: RequestAttributes): string {
  return sanitize(unsanitizedMessage(attrs));
}

function unsanitizedMessage(attrs: RequestAttributes): string {
  const user = JSON.stringify(attrs.user?.name ?? '');
  if (!attrs.resourceRequest) {
    return `User ${user} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  }
  const resource = JSON.stringify(attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource);
  const scope = attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : 'at the cluster scope';
  return `User ${user} cannot ${attrs.verb} resource ${resource} in API group ${JSON.stringify(attrs.apiGroup)} ${scope}`;
}

function sanitize(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
