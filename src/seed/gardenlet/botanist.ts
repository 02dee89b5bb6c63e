/**
 * The operations of a shoot's flows on this seed (Gardener's Botanist): each is idempotent and
 * reads what it needs itself, so a flow re-run after a crash repeats them safely. Objects get
 * deterministic names, so creating one twice is harmless.
 */
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { backupEntryBucketName, backupEntryResource } from '../../api/core-gardener/backup-entry.js';
import { GARDENER_API_VERSION, GARDENER_OPERATION_ANNOTATION } from '../../api/core-gardener/common.js';
import { seedBackup, seedResource } from '../../api/core-gardener/seed.js';
import { shootStateResource } from '../../api/core-gardener/shoot-state.js';
import { etcdReady, etcdRestoreError } from '../../api/druid/etcd.js';
import { isNotFound } from '../../api/errors.js';
import { isExtensionReady } from '../../api/extensions/common.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { StoreLookup } from '../../apiserver/hosted-api-server.js';
import type { RequestContext } from '../../apiserver/registry/generic-store.js';
import type { RestClient } from '../../client/rest-client.js';
import { backupEntryName, stableApiAddress, stableApiPort, technicalId } from '../../shoot/identity.js';
import { ETCD_BACKUP_SECRET } from '../extensions/backup-actuators.js';
import type { ApiServerRuntime } from '../runtime/apiserver-runtime.js';
import { backupObjectNotReadyReason, backupObjectReady } from './backup-common.js';
import {
  fromSecretObjects,
  generateShootSecrets,
  issueEtcdClientCertificate,
  issueEtcdServerCertificate,
  issueKubeApiServerCertificate,
  mergeShootStateGardenerData,
  type ShootSecrets,
  secretObjectsFromShootState,
  toSecretObjects,
  toShootStateGardenerData,
} from './shoot-secrets.js';

export interface BotanistDeps {
  seedName: string;
  garden: RestClient;
  seed: StoreLookup;
  ctx: RequestContext;
  apiServers: ApiServerRuntime;
  /** Where control-plane data lives on this seed (etcd data dirs). */
  runtimeDir: string;
  logger: Logger;
  /** How long a "Waiting until …" step waits before it fails (and the flow retries later). */
  waitTimeoutMs: number;
}

/** Extension kinds the local provider deploys for every shoot, with the name Gardener gives them. */
export const shootExtensions = [
  { plural: 'infrastructures', kind: 'Infrastructure', name: (shoot: KubeObject) => shoot.metadata.name! },
  { plural: 'dnsrecords', kind: 'DNSRecord', name: (shoot: KubeObject) => `${shoot.metadata.name}-internal` },
  { plural: 'controlplanes', kind: 'ControlPlane', name: (shoot: KubeObject) => shoot.metadata.name! },
] as const;

type ExtensionPlural = (typeof shootExtensions)[number]['plural'];

const etcdName = 'etcd-main';

/**
 * Backup settings of etcd-main beyond the store. Gardener takes a full snapshot daily and a delta
 * every 5 min; Transplant moves control planes and restores them to the last backed-up revision,
 * so it takes fulls hourly and deltas every 20 s (the snapshotter's defaults) to keep the window
 * of writes not yet in the store small.
 */
export const etcdBackupDefaults = Object.freeze({
  fullSnapshotSchedule: '0 */1 * * *',
  deltaSnapshotPeriod: '20s',
  deltaSnapshotMemoryLimit: '100Mi',
  garbageCollectionPolicy: 'Exponential',
  garbageCollectionPeriod: '1m',
  compression: { enabled: true, policy: 'gzip' },
});
const secretsGroup = (obj: KubeObject) => obj.metadata.labels?.persist === 'true';

export class Botanist {
  readonly shoot: KubeObject;
  readonly namespace: string;
  readonly #deps: BotanistDeps;
  #secrets: ShootSecrets | undefined;
  #seedObject: KubeObject | undefined;

  constructor(shoot: KubeObject, deps: BotanistDeps) {
    this.shoot = shoot;
    this.namespace = technicalId(shoot);
    this.#deps = deps;
  }

  /** The shoot's API URL: the one recorded in its status, else its own stable address. */
  get apiUrl(): string {
    const recorded = advertisedUrl(this.shoot);
    return recorded ?? `https://${stableApiAddress(this.shoot)}:${stableApiPort()}`;
  }

  get apiHost(): string {
    return new URL(this.apiUrl).hostname;
  }

  get apiPort(): number {
    return Number(new URL(this.apiUrl).port || 443);
  }

  async deployNamespace(): Promise<void> {
    await this.#store('', 'namespaces').createIfAbsent(
      '',
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: this.namespace,
          labels: { 'gardener.cloud/role': 'shoot', 'shoot.gardener.cloud/name': this.shoot.metadata.name! },
        },
      },
      this.#deps.ctx,
    );
  }

  /**
   * The persisted secrets: kept when the namespace has them, restored from the ShootState when
   * it holds them (a control plane moving in), generated otherwise (a new shoot).
   */
  async initializeSecrets(): Promise<void> {
    const secrets = this.#store('', 'secrets');
    const existing = (await secrets.list(this.namespace, {})).items.filter(secretsGroup);
    let persisted = fromSecretObjects(existing);
    if (!persisted) {
      const state = await this.#shootState();
      const fromState = state ? secretObjectsFromShootState(state, this.namespace) : [];
      persisted = fromState.length > 0 ? fromSecretObjects(fromState) : undefined;
      const objects = persisted
        ? fromState
        : toSecretObjects(this.namespace, await generateShootSecrets(this.namespace));
      for (const obj of objects) await secrets.createIfAbsent(this.namespace, obj, this.#deps.ctx);
      persisted = fromSecretObjects((await secrets.list(this.namespace, {})).items.filter(secretsGroup));
    }
    if (!persisted) throw new Error(`the persisted secrets of ${this.namespace} are incomplete`);
    this.#secrets = persisted;
    await this.#ensureEtcdCertificates(persisted);
  }

  async deployExtension(plural: ExtensionPlural): Promise<void> {
    const ext = shootExtensions.find((e) => e.plural === plural)!;
    const store = this.#store('extensions.gardener.cloud', plural);
    const name = ext.name(this.shoot);
    const spec = this.#extensionSpec(plural);
    const current = await store.find(this.namespace, name);
    if (!current) {
      await store.create(this.namespace, { metadata: { name }, spec }, this.#deps.ctx);
    } else {
      await store.patch(this.namespace, name, '', 'merge', { spec }, this.#deps.ctx);
    }
  }

  async waitUntilExtensionReady(plural: ExtensionPlural): Promise<void> {
    const ext = shootExtensions.find((e) => e.plural === plural)!;
    await this.#poll(`${ext.kind} ${ext.name(this.shoot)} is ready`, async () => {
      const obj = await this.#store('extensions.gardener.cloud', plural).find(this.namespace, ext.name(this.shoot));
      return obj !== undefined && isExtensionReady(obj);
    });
  }

  /**
   * Gardener's "Deploying backup entry": the shoot's BackupEntry in its project namespace, in the
   * bucket of this seed (named after the seed's UID), owned by the Shoot. An existing entry keeps
   * its bucket: moving backups to another bucket is the Restore's business, never a side effect.
   * As in Gardener, an existing entry is asked to reconcile (`gardener.cloud/operation`), which
   * repairs e.g. a lost `etcd-backup` secret.
   */
  async deployBackupEntry(): Promise<void> {
    const entries = this.#deps.garden.resource(backupEntryResource);
    const namespace = this.shoot.metadata.namespace!;
    const name = backupEntryName(this.shoot);
    if (await this.#backupEntry()) {
      await entries.patch(namespace, name, {
        metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: 'reconcile' } },
        spec: { seedName: this.#deps.seedName },
      });
      return;
    }
    const seed = await this.#seed();
    await entries.create(namespace, {
      apiVersion: GARDENER_API_VERSION,
      kind: 'BackupEntry',
      metadata: {
        name,
        namespace,
        labels: { 'shoot.gardener.cloud/name': this.shoot.metadata.name! },
        ownerReferences: [
          {
            apiVersion: GARDENER_API_VERSION,
            kind: 'Shoot',
            name: this.shoot.metadata.name!,
            uid: this.shoot.metadata.uid!,
            controller: true,
            blockOwnerDeletion: false,
          },
        ],
      },
      spec: { bucketName: seed.metadata.uid, seedName: this.#deps.seedName },
    });
  }

  /** Gardener's "Waiting until the backup entry has been reconciled"; times out naming the entry's last error. */
  async waitUntilBackupEntryReconciled(): Promise<void> {
    let reason = 'it does not exist';
    await this.#poll(
      () => `BackupEntry ${backupEntryName(this.shoot)} is reconciled (${reason})`,
      async () => {
        const entry = await this.#backupEntry();
        reason = entry ? (backupObjectNotReadyReason(entry) ?? '') : 'it does not exist';
        return entry !== undefined && backupObjectReady(entry);
      },
    );
  }

  /** The shoot's BackupEntry goes with the shoot; the backups it names stay in the bucket. */
  async deleteBackupEntry(): Promise<void> {
    try {
      await this.#deps.garden
        .resource(backupEntryResource)
        .delete(this.shoot.metadata.namespace!, backupEntryName(this.shoot));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async waitUntilBackupEntryDeleted(): Promise<void> {
    await this.#poll(`BackupEntry ${backupEntryName(this.shoot)} is gone`, async () => !(await this.#backupEntry()));
  }

  /**
   * etcd-main, with its backups in the shoot's BackupEntry when the seed has backups:
   * `<bucket>/<backupEntryName>/etcd-main` through the secret `etcd-backup` (Gardener's layout).
   */
  async deployEtcd(): Promise<void> {
    const store = this.#store('druid.gardener.cloud', 'etcds');
    const spec = {
      replicas: 1,
      labels: { role: 'main', 'gardener.cloud/role': 'controlplane' },
      selector: { matchLabels: { role: 'main' } },
      etcd: {
        clientUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
          serverTLSSecretRef: { name: 'etcd-server-tls' },
          clientTLSSecretRef: { name: 'etcd-client-tls' },
        },
      },
      backup: await this.#etcdBackupSpec(),
    };
    if (await store.find(this.namespace, etcdName)) {
      await store.patch(this.namespace, etcdName, '', 'merge', { spec }, this.#deps.ctx);
    } else {
      await store.create(this.namespace, { metadata: { name: etcdName }, spec }, this.#deps.ctx);
    }
  }

  async waitUntilEtcdReady(): Promise<void> {
    await this.#poll('etcd-main is ready', async () => {
      const etcd = await this.#store('druid.gardener.cloud', 'etcds').find(this.namespace, etcdName);
      // Waiting cannot mend a restore from broken backups: fail now, naming the cause.
      const restoreError = etcd ? etcdRestoreError(etcd) : undefined;
      if (restoreError) throw new Error(`${etcdName} cannot start: ${restoreError}`);
      return etcd !== undefined && etcdReady(etcd);
    });
  }

  /** etcd-main exists and is ready (false also while it is being restored). */
  async etcdHealthy(): Promise<boolean> {
    const etcd = await this.#store('druid.gardener.cloud', 'etcds').find(this.namespace, etcdName);
    return etcd !== undefined && etcdReady(etcd);
  }

  async deployKubeApiServer(): Promise<void> {
    const secrets = this.#requireSecrets();
    const etcd = await this.#store('druid.gardener.cloud', 'etcds').get(this.namespace, etcdName);
    const endpoint = etcdClientUrl(etcd);
    if (!endpoint) throw new Error(`etcd-main in ${this.namespace} reports no client URL yet`);
    const client = await this.#secretData('etcd-client-tls');
    const serving = await issueKubeApiServerCertificate(secrets.ca, { ip: this.apiHost });
    await this.#deps.apiServers.ensure({
      name: this.namespace,
      etcd: {
        endpoints: [endpoint],
        tls: { caPem: secrets.caEtcd.certPem, certPem: client['tls.crt']!, keyPem: client['tls.key']! },
      },
      serving,
      clientCaPem: secrets.caClient.certPem,
      staticToken: secrets.staticToken,
      encryptionKeyBase64: secrets.etcdEncryptionKey,
      host: this.apiHost,
      port: this.apiPort,
    });
  }

  async waitUntilKubeApiServerReady(): Promise<void> {
    await this.#poll('the Kubernetes API server is ready', async () => this.#deps.apiServers.has(this.namespace));
  }

  /** Writes the persisted secrets and the extensions' states into the garden's ShootState. */
  async persistShootState(): Promise<void> {
    const secrets = (await this.#store('', 'secrets').list(this.namespace, {})).items.filter(secretsGroup);
    const extensions: Record<string, unknown>[] = [];
    for (const ext of shootExtensions) {
      const obj = await this.#store('extensions.gardener.cloud', ext.plural).find(this.namespace, ext.name(this.shoot));
      const state = isRecord(obj?.status) ? obj.status.state : undefined;
      if (obj && state) extensions.push({ kind: ext.kind, name: obj.metadata.name, state });
    }
    const shootStates = this.#deps.garden.resource(shootStateResource);
    const ns = this.shoot.metadata.namespace!;
    const current = await this.#shootState();
    const gardener = mergeShootStateGardenerData(
      isRecord(current?.spec) && Array.isArray(current.spec.gardener) ? current.spec.gardener : [],
      toShootStateGardenerData(secrets),
    );
    const spec = { gardener, extensions };
    if (current) await shootStates.patch(ns, this.shoot.metadata.name!, { spec });
    else await shootStates.create(ns, { metadata: { name: this.shoot.metadata.name }, spec });
  }

  async deleteKubeApiServer(): Promise<void> {
    await this.#deps.apiServers.stop(this.namespace);
  }

  async deleteEtcd(): Promise<void> {
    await this.#store('druid.gardener.cloud', 'etcds').deleteIfPresent(this.namespace, etcdName, this.#deps.ctx);
  }

  async waitUntilEtcdDeleted(): Promise<void> {
    await this.#poll(
      'etcd-main is gone',
      async () => !(await this.#store('druid.gardener.cloud', 'etcds').find(this.namespace, etcdName)),
    );
  }

  async deleteExtension(plural: ExtensionPlural): Promise<void> {
    const ext = shootExtensions.find((e) => e.plural === plural)!;
    await this.#store('extensions.gardener.cloud', plural).deleteIfPresent(
      this.namespace,
      ext.name(this.shoot),
      this.#deps.ctx,
    );
  }

  async waitUntilExtensionDeleted(plural: ExtensionPlural): Promise<void> {
    const ext = shootExtensions.find((e) => e.plural === plural)!;
    await this.#poll(`${ext.kind} ${ext.name(this.shoot)} is gone`, async () => {
      return !(await this.#store('extensions.gardener.cloud', plural).find(this.namespace, ext.name(this.shoot)));
    });
  }

  async deleteNamespace(): Promise<void> {
    await this.#store('', 'namespaces').deleteIfPresent('', this.namespace, this.#deps.ctx);
  }

  async waitUntilNamespaceDeleted(): Promise<void> {
    await this.#poll(
      `namespace ${this.namespace} is gone`,
      async () => !(await this.#store('', 'namespaces').find('', this.namespace)),
    );
    await rm(`${this.#deps.runtimeDir}/${this.namespace}`, { recursive: true, force: true });
  }

  /** `spec.backup` of etcd-main: empty without seed backups, else the entry's store and the schedule. */
  async #etcdBackupSpec(): Promise<Record<string, unknown>> {
    const backup = seedBackup(await this.#seed());
    if (!backup) return {};
    const entry = await this.#backupEntry();
    const bucketName = entry && backupEntryBucketName(entry);
    if (!bucketName) throw new Error(`BackupEntry ${backupEntryName(this.shoot)} does not exist yet`);
    return {
      store: {
        provider: backup.provider,
        container: bucketName,
        prefix: `${backupEntryName(this.shoot)}/${etcdName}`,
        secretRef: { name: ETCD_BACKUP_SECRET },
      },
      ...etcdBackupDefaults,
    };
  }

  async #backupEntry(): Promise<KubeObject | undefined> {
    try {
      return await this.#deps.garden
        .resource(backupEntryResource)
        .get(this.shoot.metadata.namespace!, backupEntryName(this.shoot));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #seed(): Promise<KubeObject> {
    this.#seedObject ??= await this.#deps.garden.resource(seedResource).get('', this.#deps.seedName);
    return this.#seedObject;
  }

  #extensionSpec(plural: ExtensionPlural): Record<string, unknown> {
    const base = { type: 'local', region: 'local', secretRef: { name: 'cloudprovider', namespace: this.namespace } };
    switch (plural) {
      case 'dnsrecords':
        return {
          type: 'local',
          name: `api.${this.shoot.metadata.name}.${(this.shoot.metadata.namespace ?? '').replace(/^garden-/, '')}.internal.local`,
          recordType: 'A',
          values: [this.apiHost],
          secretRef: base.secretRef,
        };
      case 'controlplanes':
        return { ...base, purpose: 'normal' };
      default:
        return base;
    }
  }

  async #ensureEtcdCertificates(secrets: ShootSecrets): Promise<void> {
    const store = this.#store('', 'secrets');
    const put = async (name: string, pair: { certPem: string; keyPem: string }) =>
      store.createIfAbsent(
        this.namespace,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: this.namespace },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), 'ca.crt': b64(secrets.caEtcd.certPem) },
        },
        this.#deps.ctx,
      );
    if (!(await store.find(this.namespace, 'etcd-server-tls'))) {
      await put('etcd-server-tls', await issueEtcdServerCertificate(secrets.caEtcd, ['127.0.0.1', 'localhost']));
    }
    if (!(await store.find(this.namespace, 'etcd-client-tls'))) {
      await put('etcd-client-tls', await issueEtcdClientCertificate(secrets.caEtcd));
    }
  }

  async #secretData(name: string): Promise<Record<string, string>> {
    const secret = await this.#store('', 'secrets').get(this.namespace, name);
    const data = isRecord(secret.data) ? secret.data : {};
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]),
    );
  }

  #requireSecrets(): ShootSecrets {
    if (!this.#secrets) throw new Error('secrets management is not initialized');
    return this.#secrets;
  }

  async #shootState(): Promise<KubeObject | undefined> {
    try {
      return await this.#deps.garden
        .resource(shootStateResource)
        .get(this.shoot.metadata.namespace!, this.shoot.metadata.name!);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  #store(group: string, plural: string) {
    return this.#deps.seed(group, plural);
  }

  /**
   * Waits until `check` holds: looks again soon at first (controllers answer within tens of ms),
   * then less often. `what` may be a function, to name what was last seen in the timeout error.
   */
  async #poll(what: string | (() => string), check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.#deps.waitTimeoutMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      if (await check()) return;
      if (Date.now() > deadline) {
        const described = typeof what === 'string' ? what : what();
        throw new Error(`timed out after ${this.#deps.waitTimeoutMs / 1000} s waiting until ${described}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export function advertisedUrl(shoot: KubeObject): string | undefined {
  const status = isRecord(shoot.status) ? shoot.status : {};
  const addresses = Array.isArray(status.advertisedAddresses) ? status.advertisedAddresses : [];
  const external = addresses.find((a) => isRecord(a) && a.name === 'external');
  return isRecord(external) && typeof external.url === 'string' ? external.url : undefined;
}

function etcdClientUrl(etcd: KubeObject): string | undefined {
  const status = isRecord(etcd.status) ? etcd.status : {};
  for (const field of ['clientUrl', 'endpoint']) if (typeof status[field] === 'string') return status[field] as string;
  return undefined;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
