/**
 * The identity a scraper (the landscape's Prometheus) reads a hosted server's `/metrics` with:
 * the user `system:transplant:metrics-reader`, bound to a ClusterRole that allows nothing but
 * `get` on the nonResourceURLs `/metrics` and `/metrics/*` (least privilege, as Kubernetes'
 * `system:monitoring` role). Its bearer token and the server's CA are written as two owner-only
 * files in `<dir>/metrics-reader/`, in the shape Prometheus reads them
 * (`authorization.credentials_file`, `tls_config.ca_file`): no secret on a command line.
 */
import { join } from 'node:path';
import type { KubeObject } from '../api/meta.js';

export const metricsReaderUser = { name: 'system:transplant:metrics-reader', groups: [] as string[] };

const ROLE_NAME = 'transplant:metrics-reader';

/** Where a hosted server in `dir` writes the reader's credentials. */
export interface MetricsReaderFiles {
  /** The bearer token, alone on its line. */
  tokenFile: string;
  /** The CA that signed the server's serving certificate (PEM). */
  caFile: string;
}

export function metricsReaderFiles(dir: string): MetricsReaderFiles {
  return { tokenFile: join(dir, 'metrics-reader', 'token'), caFile: join(dir, 'metrics-reader', 'ca.crt') };
}

/** The ClusterRole and its binding, created when missing on every start (bootstrap objects). */
export function metricsReaderRbac(): KubeObject[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: ROLE_NAME },
      rules: [{ nonResourceURLs: ['/metrics', '/metrics/*'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: ROLE_NAME },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE_NAME },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: metricsReaderUser.name }],
    },
  ];
}
