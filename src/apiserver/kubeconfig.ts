/**
 * kubeconfig files (client-go clientcmd v1 Config) for the clients of a Transplant API server:
 * one cluster, one user, one context, all named after the cluster, credentials inline.
 */
import { stringify } from 'yaml';
import { writeFileAtomic } from './pki/atomic-file.js';

export type KubeconfigUser =
  | { name: string; token: string }
  | { name: string; clientCertPem: string; clientKeyPem: string };

export interface KubeconfigOptions {
  /** Names the cluster and the context (`current-context`). */
  clusterName: string;
  /** `https://host:port`. */
  server: string;
  /** The CA the server certificate chains to; written as `certificate-authority-data`. */
  caPem: string;
  user: KubeconfigUser;
  /** Default namespace of the context. */
  namespace?: string;
}

/** The kubeconfig as YAML text. */
export function buildKubeconfig(options: KubeconfigOptions): string {
  const { clusterName, server, caPem, user, namespace } = options;
  const credentials =
    'token' in user
      ? { token: user.token }
      : {
          'client-certificate-data': base64(user.clientCertPem),
          'client-key-data': base64(user.clientKeyPem),
        };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server, 'certificate-authority-data': base64(caPem) } }],
    users: [{ name: user.name, user: credentials }],
    contexts: [
      {
        name: clusterName,
        context: { cluster: clusterName, user: user.name, ...(namespace ? { namespace } : {}) },
      },
    ],
    'current-context': clusterName,
    preferences: {},
  };
  return stringify(config, { lineWidth: 0 });
}

/** Writes a kubeconfig atomically, readable by the owner only (it holds credentials). */
export async function writeKubeconfig(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, 0o600);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
