/**
 * The client TLS of an Etcd, read from the secrets `spec.etcd.clientUrlTls` names (etcd-druid's
 * `TLSConfig`): the CA (`tlsCASecretRef`, key `dataKey`, default `ca.crt`; the shoot's `ca-etcd`),
 * the server pair (`serverTLSSecretRef`, `tls.crt`/`tls.key`) and the client pair the druid's own
 * health checks present (`clientTLSSecretRef`, `tls.crt`/`tls.key`; without it the server pair,
 * which then needs the clientAuth usage too). Client certificates are required whenever TLS is on.
 */
import { secretValue } from '../../api/core/secret.js';
import type { Etcd, EtcdSecretRef } from '../../api/druid/etcd.js';
import type { ResourceClient } from '../../client/client.js';
import type { EtcdTls } from '../../process/etcd-process.js';

export const DEFAULT_CA_DATA_KEY = 'ca.crt';
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';

/** What the druid can run an Etcd's client listener with. */
export type EtcdTlsResolution =
  /** No `clientUrlTls`: plain HTTP. */
  | { kind: 'plain' }
  | { kind: 'tls'; tls: EtcdTls }
  /** A referenced secret does not exist (yet): the gardenlet has not created it. */
  | { kind: 'missing'; secret: string; message: string }
  /** A referenced secret lacks a data key. */
  | { kind: 'invalid'; secret: string; message: string };

interface Ref {
  namespace: string;
  name: string;
  dataKey?: string;
}

/** Reads the client TLS material of `etcd` from `secrets` (same namespace unless the ref names one). */
export async function resolveEtcdTls(etcd: Etcd, secrets: ResourceClient): Promise<EtcdTlsResolution> {
  const config = etcd.spec.etcd.clientUrlTls;
  if (!config) return { kind: 'plain' };
  const namespace = etcd.metadata.namespace ?? '';
  const ca = refOf(config.tlsCASecretRef, namespace);
  const server = refOf(config.serverTLSSecretRef, namespace);
  const client = config.clientTLSSecretRef && refOf(config.clientTLSSecretRef, namespace);

  const caRead = await readKeys(secrets, ca, [ca.dataKey || DEFAULT_CA_DATA_KEY]);
  if (!caRead.ok) return caRead.failure;
  const serverRead = await readKeys(secrets, server, [TLS_CERT_KEY, TLS_KEY_KEY]);
  if (!serverRead.ok) return serverRead.failure;
  const [caPem = ''] = caRead.values;
  const [certPem = '', keyPem = ''] = serverRead.values;
  const tls: EtcdTls = { caPem, certPem, keyPem, clientCertAuth: true };
  if (client) {
    const clientRead = await readKeys(secrets, client, [TLS_CERT_KEY, TLS_KEY_KEY]);
    if (!clientRead.ok) return clientRead.failure;
    const [clientCert = '', clientKey = ''] = clientRead.values;
    tls.client = { certPem: clientCert, keyPem: clientKey };
  }
  return { kind: 'tls', tls };
}

/** What the druid can run the members' peer listeners with. */
export type EtcdPeerTlsResolution =
  /** No `peerUrlTls`: a single member, whose peer listener stays on loopback in plain HTTP. */
  | { kind: 'plain' }
  | { kind: 'tls'; tls: { caPem: string; certPem: string; keyPem: string } }
  | Extract<EtcdTlsResolution, { kind: 'missing' | 'invalid' }>;

/** Reads the peer TLS material of `etcd` (`spec.etcd.peerUrlTls`): its CA and the members' pair. */
export async function resolveEtcdPeerTls(etcd: Etcd, secrets: ResourceClient): Promise<EtcdPeerTlsResolution> {
  const config = etcd.spec.etcd.peerUrlTls;
  if (!config) return { kind: 'plain' };
  const namespace = etcd.metadata.namespace ?? '';
  const ca = refOf(config.tlsCASecretRef, namespace);
  const caRead = await readKeys(secrets, ca, [ca.dataKey || DEFAULT_CA_DATA_KEY], 'spec.etcd.peerUrlTls');
  if (!caRead.ok) return caRead.failure;
  const pairRead = await readKeys(
    secrets,
    refOf(config.serverTLSSecretRef, namespace),
    [TLS_CERT_KEY, TLS_KEY_KEY],
    'spec.etcd.peerUrlTls',
  );
  if (!pairRead.ok) return pairRead.failure;
  const [caPem = ''] = caRead.values;
  const [certPem = '', keyPem = ''] = pairRead.values;
  return { kind: 'tls', tls: { caPem, certPem, keyPem } };
}

type KeysRead =
  | { ok: true; values: string[] }
  | { ok: false; failure: Extract<EtcdTlsResolution, { kind: 'missing' | 'invalid' }> };

/** The decoded values of `keys` in the secret `ref`, in order. */
async function readKeys(
  secrets: ResourceClient,
  ref: Ref,
  keys: readonly string[],
  field = 'spec.etcd.clientUrlTls',
): Promise<KeysRead> {
  const secret = await secrets.find(ref.namespace, ref.name);
  if (!secret) {
    const message = `secret ${ref.namespace}/${ref.name} referenced by ${field} does not exist`;
    return { ok: false, failure: { kind: 'missing', secret: ref.name, message } };
  }
  const values: string[] = [];
  for (const key of keys) {
    const value = secretValue(secret, key);
    if (value === undefined || value === '') {
      const message = `secret ${ref.namespace}/${ref.name} has no data key "${key}"`;
      return { ok: false, failure: { kind: 'invalid', secret: ref.name, message } };
    }
    values.push(value);
  }
  return { ok: true, values };
}

/** `ref` with its namespace defaulted to the Etcd's. */
function refOf(ref: EtcdSecretRef, namespace: string): Ref {
  return {
    namespace: ref.namespace || namespace,
    name: ref.name,
    ...(ref.dataKey ? { dataKey: ref.dataKey } : {}),
  };
}
