/**
 * The control plane's secrets on this seed (Gardener's secrets manager, "Initializing secrets
 * management"): the persisted ones (CAs, service-account key, static token, etcd encryption key)
 * kept when the namespace has them, restored from the ShootState when it holds them (a control
 * plane moving in), generated otherwise (a new shoot); and the certificates issued from them,
 * kept in the namespace so that a repeated deploy does not restart a running server for a new
 * certificate.
 */
import { secretResource } from '../../../api/core/secret.js';
import { isRecord, type KubeObject } from '../../../api/meta.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import { servingSeedDnsName } from '../../../shoot/serving-seed.js';
import {
  issueEtcdClientCertificate,
  issueEtcdServerCertificate,
  issueKubeApiServerCertificate,
} from '../../../shoot/shoot-certificates.js';
import {
  fromSecretObjects,
  generateShootSecrets,
  isPersistedSecret,
  type ShootSecrets,
  secretObjectsFromShootState,
  toSecretObjects,
} from '../../../shoot/shoot-secrets.js';
import type { ComponentContext } from './context.js';
import { SecretsRotation } from './secrets-rotation.js';
import type { ShootStateComponent } from './shoot-state.js';

/**
 * The etcd members' peer certificate (Gardener's `etcd-peer-server-<name>`), from `ca-etcd` as
 * the client one: issued from the persisted CA on every seed, so the members of two seeds trust
 * each other during a live migration.
 */
export const ETCD_PEER_SERVER_SECRET = 'etcd-peer-server-tls';

/** Where the members' listeners are reached on one host. */
const ETCD_LOOPBACK_HOSTS: readonly string[] = Object.freeze(['127.0.0.1', 'localhost']);

/**
 * The names in the members' server and peer certificates: loopback, and the seed's etcd peer
 * address when it has one. Its members' peer listeners bind that address and their client
 * listeners bind it too (src/seed/druid/etcd-config.ts), so another seed's members (a live
 * migration's learners, the source's members they dial back) verify both against it.
 */
export function etcdCertificateHosts(peerAddress: string | undefined): string[] {
  return peerAddress && !ETCD_LOOPBACK_HOSTS.includes(peerAddress)
    ? [...ETCD_LOOPBACK_HOSTS, peerAddress]
    : [...ETCD_LOOPBACK_HOSTS];
}

/** A certificate and its key, PEM. */
export interface TlsPair {
  certPem: string;
  keyPem: string;
}

export class SecretsManager {
  readonly #c: ComponentContext;
  readonly #shootState: ShootStateComponent;
  readonly #rotation: SecretsRotation;
  #secrets: ShootSecrets | undefined;

  constructor(c: ComponentContext, shootState: ShootStateComponent) {
    this.#c = c;
    this.#shootState = shootState;
    this.#rotation = new SecretsRotation(c, shootState, () => this.persisted());
  }

  /** "Initializing secrets management": the persisted secrets, and etcd's certificates from `ca-etcd`. */
  async deploy(_ctx: TaskContext): Promise<void> {
    let persisted = await this.persisted();
    if (!persisted) {
      const state = await this.#shootState.get();
      const fromState = state ? secretObjectsFromShootState(state, this.#c.namespace) : [];
      persisted = fromState.length > 0 ? fromSecretObjects(fromState) : undefined;
      const objects = persisted
        ? fromState
        : toSecretObjects(this.#c.namespace, await generateShootSecrets(this.#c.namespace));
      for (const obj of objects) await this.#secretObjects().createIfAbsent(this.#c.namespace, obj);
      persisted = await this.persisted();
    }
    if (!persisted) throw new Error(`the persisted secrets of ${this.#c.namespace} are incomplete`);
    persisted = (await this.#rotation.advance()) ?? persisted;
    this.#secrets = persisted;
    const caPem = persisted.caEtcd.certPem;
    const hosts = [...this.#c.etcdHosts];
    await this.tlsSecret(
      'etcd-server-tls',
      caPem,
      () => issueEtcdServerCertificate(persisted.caEtcd, hosts),
      hosts.join(','),
    );
    await this.tlsSecret('etcd-client-tls', caPem, () => issueEtcdClientCertificate(persisted.caEtcd));
    // Members present it to each other and serve it (usage both), for one member as for three.
    // Issued again when the hosts change (e.g. a peer address other seeds reach).
    await this.tlsSecret(
      ETCD_PEER_SERVER_SECRET,
      caPem,
      () => issueEtcdServerCertificate(persisted.caEtcd, hosts),
      hosts.join(','),
    );
  }

  /** The secrets `deploy` initialized; the steps after it in the flow use them. */
  get current(): ShootSecrets {
    if (!this.#secrets) throw new Error('secrets management is not initialized');
    return this.#secrets;
  }

  /** The persisted secrets in the control-plane namespace, undefined while any is missing. */
  async persisted(): Promise<ShootSecrets | undefined> {
    return fromSecretObjects(await this.persistedObjects());
  }

  /** The persisted secrets' objects (`persist=true`), as the ShootState keeps them. */
  async persistedObjects(): Promise<KubeObject[]> {
    return (await this.#secretObjects().list(this.#c.namespace)).items.filter(isPersistedSecret);
  }

  /**
   * A serving certificate for the shoot's endpoint from the shoot's `ca`: its bind address, its
   * DNS name if it has one, and a name for this seed (src/shoot/serving-seed.ts). The namespace,
   * and so the secret, is this seed's only; a certificate for other names is issued again.
   */
  servingCertificate(secretName: string): Promise<TlsPair> {
    const secrets = this.current;
    const { bindAddress, dnsName } = this.#c.endpoint;
    const dnsNames = [...(dnsName ? [dnsName] : []), servingSeedDnsName(this.#c.seedName)];
    return this.tlsSecret(
      secretName,
      secrets.ca.certPem,
      () => issueKubeApiServerCertificate(secrets.ca, { ip: bindAddress, dnsNames }),
      [bindAddress, ...dnsNames].join(','),
    );
  }

  /**
   * The certificate and key of a `kubernetes.io/tls` secret, issued and stored when it is missing,
   * when `hosts` (what the certificate names) differs from what the secret was issued for, or when
   * another CA signs now (`caPem`, a credentials rotation).
   */
  async tlsSecret(name: string, caPem: string, issue: () => Promise<TlsPair>, hosts?: string): Promise<TlsPair> {
    const current = await this.#secretObjects().find(this.#c.namespace, name);
    const issuedFor = current?.metadata.annotations?.[SERVING_HOSTS_ANNOTATION];
    const issuedBy = isRecord(current?.data) ? current.data['ca.crt'] : undefined;
    if (!current || (hosts !== undefined && issuedFor !== hosts) || issuedBy !== b64(caPem)) {
      const pair = await issue();
      const secret = {
        metadata: {
          name,
          namespace: this.#c.namespace,
          ...(hosts ? { annotations: { [SERVING_HOSTS_ANNOTATION]: hosts } } : {}),
        },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), 'ca.crt': b64(caPem) },
      };
      if (!current) await this.#secretObjects().createIfAbsent(this.#c.namespace, secret);
      else
        await this.#secretObjects().update(this.#c.namespace, {
          ...current,
          ...secret,
          metadata: { ...current.metadata, ...secret.metadata },
        });
    }
    const data = await this.data(name);
    return { certPem: data['tls.crt']!, keyPem: data['tls.key']! };
  }

  /** A secret's data in the control-plane namespace, decoded. */
  async data(name: string): Promise<Record<string, string>> {
    const secret = await this.#secretObjects().get(this.#c.namespace, name);
    const data = isRecord(secret.data) ? secret.data : {};
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]),
    );
  }

  #secretObjects() {
    return this.#c.seed.resource(secretResource);
  }
}

/** On a serving certificate's secret: the hosts it was issued for, comma-separated. */
const SERVING_HOSTS_ANNOTATION = 'transplant.gardener.cloud/serving-hosts';

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
