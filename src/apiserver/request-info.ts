/**
 * Turns a URL path and method into what the request is about (k8s RequestInfoFactory):
 * /api/v1/namespaces/ns/secrets/x, /apis/group/version/resource/name/subresource, or a
 * non-resource path such as /version.
 */

export interface RequestInfo {
  resourceRequest: boolean;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, or the lower-case HTTP method. */
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  /**
   * What follows the subresource, e.g. `/healthz` of `nodes/n/proxy/healthz` (as in Kubernetes,
   * the subresource is one segment: RBAC names `nodes/proxy`). Empty for most requests.
   */
  subpath: string;
  name: string;
}

const methodVerbs: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
  GET: 'get',
  HEAD: 'get',
};

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    resourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    subpath: '',
    name: '',
  };
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts[0] !== 'api' && parts[0] !== 'apis') return info;
  info.apiPrefix = parts[0];
  let rest = parts.slice(1);
  if (info.apiPrefix === 'apis') {
    if (rest.length < 2) return info; // /apis or /apis/<group>: discovery
    info.apiGroup = rest[0]!;
    rest = rest.slice(1);
  } else if (rest.length < 1) {
    return info; // /api
  }
  info.apiVersion = rest[0]!;
  rest = rest.slice(1);
  if (rest.length === 0) return info; // /apis/<group>/<version>: discovery

  info.resourceRequest = true;
  info.verb = methodVerbs[method] ?? method.toLowerCase();
  if (rest[0] === 'watch') {
    // Deprecated /watch/ path prefix, still served by Kubernetes.
    info.verb = 'watch';
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    info.namespace = rest[1]!;
    // /namespaces/<name> and /namespaces/<name>/status address the Namespace itself.
    if (rest.length === 2 || (rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
      info.resource = 'namespaces';
      info.name = rest[1]!;
      info.subresource = rest[2] ?? '';
      info.namespace = '';
      rest = [];
    } else {
      rest = rest.slice(2);
    }
  }
  if (rest.length > 0) {
    info.resource = rest[0]!;
    info.name = rest[1] ?? '';
    info.subresource = rest[2] ?? '';
    if (rest.length > 3) info.subpath = `/${rest.slice(3).join('/')}${path.endsWith('/') ? '/' : ''}`;
  }
  if (info.name === '' && info.verb !== 'watch') {
    if (info.verb === 'get') info.verb = isWatch(query) ? 'watch' : 'list';
    else if (info.verb === 'delete') info.verb = 'deletecollection';
  } else if (info.verb === 'get' && isWatch(query)) {
    info.verb = 'watch';
  }
  return info;
}

function isWatch(query: URLSearchParams): boolean {
  const value = query.get('watch');
  return value === 'true' || value === '1';
}

/**
 * Whether the request target has a `.` or `..` segment (also percent-encoded). The URL parser
 * resolves them, so `DELETE /api/v1/namespaces/garden-dev/roles/..` would delete the namespace
 * `garden-dev`: a request must name what it acts on as it is authorised and logged, hence such
 * paths are refused (the API fuzzer's path tricks found this).
 */
export function hasDotSegment(target: string): boolean {
  const path = target.split('?', 1)[0]!;
  return path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}
