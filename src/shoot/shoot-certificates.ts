/**
 * The certificates a shoot's control plane is issued from its persisted CAs (shoot-secrets.ts):
 * the kube-apiserver's serving certificate, etcd's server and client certificates, and client
 * certificates for the control-plane components and for admins. Unlike the CAs they are not
 * persisted: each deploy issues them again.
 */
import { isIP } from 'node:net';
import { type CertificateAndKey, type CertificateAuthority, issueCertificate } from '../apiserver/pki/certificates.js';

/** Serving and component client certificates are re-issued on every deploy; a year is plenty. */
const leafValidityDays = 365;

/** The names the kube-apiserver answers to inside and outside the cluster, besides its address. */
export const kubeApiServerDnsNames: readonly string[] = Object.freeze([
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
  'kube-apiserver',
  'localhost',
]);

/**
 * The kube-apiserver's serving certificate, signed by the cluster CA: SANs `ip` (its stable
 * address; a host name there is taken as a DNS name), 127.0.0.1, `dnsNames`, and the in-cluster
 * names (`kubernetes`, `kubernetes.default`, `kubernetes.default.svc`, … `localhost`).
 */
export function issueKubeApiServerCertificate(
  ca: CertificateAuthority,
  address: { ip: string; dnsNames?: readonly string[] },
): Promise<CertificateAndKey> {
  const { ipAddresses, dnsNames } = splitHosts([
    address.ip,
    '127.0.0.1',
    ...(address.dnsNames ?? []),
    ...kubeApiServerDnsNames,
  ]);
  return issueCertificate(ca, {
    commonName: 'kube-apiserver',
    dnsNames,
    ipAddresses,
    usage: 'server',
    validityDays: leafValidityDays,
  });
}

/** etcd's server certificate (server and peer-client use), SANs `hosts` (IPs and DNS names). */
export function issueEtcdServerCertificate(
  caEtcd: CertificateAuthority,
  hosts: readonly string[],
): Promise<CertificateAndKey> {
  return issueCertificate(caEtcd, {
    commonName: 'etcd-server',
    ...splitHosts(hosts),
    usage: 'both',
    validityDays: leafValidityDays,
  });
}

/** The client certificate the kube-apiserver (and backups) use towards etcd: CN `etcd-client`. */
export function issueEtcdClientCertificate(caEtcd: CertificateAuthority): Promise<CertificateAndKey> {
  return issueCertificate(caEtcd, { commonName: 'etcd-client', usage: 'client', validityDays: leafValidityDays });
}

/**
 * The client certificate of a control-plane component that talks to the shoot's API as its own
 * user (kube-controller-manager, kube-scheduler), valid as long as the other leaf certificates.
 */
export function issueComponentClientCertificate(
  caClient: CertificateAuthority,
  user: string,
): Promise<CertificateAndKey> {
  return issueCertificate(caClient, { commonName: user, usage: 'client', validityDays: leafValidityDays });
}

/** A client certificate for the shoot's API: CN = `user`, O = `groups` (e.g. `system:masters`). */
export function issueAdminClientCertificate(
  caClient: CertificateAuthority,
  request: { user: string; groups: readonly string[]; validitySeconds: number },
): Promise<CertificateAndKey> {
  return issueCertificate(caClient, {
    commonName: request.user,
    organizations: request.groups,
    usage: 'client',
    validitySeconds: request.validitySeconds,
  });
}

function splitHosts(hosts: readonly string[]): { ipAddresses: string[]; dnsNames: string[] } {
  const ipAddresses = new Set<string>();
  const dnsNames = new Set<string>();
  for (const host of hosts) (isIP(host) ? ipAddresses : dnsNames).add(host);
  return { ipAddresses: [...ipAddresses], dnsNames: [...dnsNames] };
}
