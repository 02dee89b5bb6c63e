/**
 * The operations of a shoot's flows on this seed (Gardener's Botanist): each is idempotent and
 * reads what it needs itself, so a flow re-run after a crash repeats them safely. Objects get
 * deterministic names, so creating one twice is harmless.
 */
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import type { Logger } from 'pino';
import { backupBucketResource } from '../../api/core-gardener/backup-bucket.js';
import {
  backupEntryBucketName,
  backupEntryResource,
  backupEntrySpecSeedName,
  backupEntryStatusSeedName,
} from '../../api/core-gardener/backup-entry.js';
import {
  GARDENER_API_VERSION,
  GARDENER_OPERATION_ANNOTATION,
  lastOperationOf,
  pathString,
} from '../../api/core-gardener/common.js';
import { conditionOf } from '../../api/core-gardener/conditions.js';
import { seedBackup, seedResource } from '../../api/core-gardener/seed.js';
import { shootSpecSeedName } from '../../api/core-gardener/shoot.js';
import { shootStateResource } from '../../api/core-gardener/shoot-state.js';
import { etcdReady, etcdRestoreError } from '../../api/druid/etcd.js';
import {
  copyTaskFailureMessage,
  copyTaskLastError,
  copyTaskSucceeded,
} from '../../api/druid/etcd-copy-backups-task.js';
import { isNotFound } from '../../api/errors.js';
import {
  ExtensionOperation,
  extensionOperation,
  isExtensionMigrated,
  isExtensionReady,
} from '../../api/extensions/common.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { RequestContext } from '../../apiserver/registry/generic-store.js';
import type { RestClient } from '../../client/rest-client.js';
import type { FlowHooks } from '../../flow/flow.js';
import type { StoreLookup } from '../../hosting/hosted-api-server.js';
import {
  backupEntryName,
  sourceBackupEntryName,
  stableApiAddress,
  stableApiPort,
  technicalId,
} from '../../shoot/identity.js';
import { NODE_LEASE_NAMESPACE } from '../../shoot/node-agent.js';
import { servingSeedDnsName } from '../../shoot/serving-seed.js';
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
} from '../../shoot/shoot-secrets.js';
import { VPN_SEED_SERVER_PORT } from '../../shoot/vpn/vpn-seed-server.js';
import { ETCD_BACKUP_SECRET, etcdBackupPrefix, SOURCE_ETCD_BACKUP_SECRET } from '../extensions/backup-actuators.js';
import { WORKER_CONFIG_KIND } from '../extensions/worker-actuator.js';
import type { ApiServerRuntime } from '../runtime/apiserver-runtime.js';
import type { VpnServerRuntime } from '../runtime/vpn-server-runtime.js';
import { backupObjectNotReadyReason, backupObjectReady } from './backup-common.js';
import { copyBackupsFailedMessage } from './copy-backups-hint.js';
import type { ShootHealthFacts } from './shoot-care.js';

export interface BotanistDeps {
  seedName: string;
  garden: RestClient;
  seed: StoreLookup;
  ctx: RequestContext;
  apiServers: ApiServerRuntime;
  vpnServers: VpnServerRuntime;
  /** Where control-plane data lives on this seed (etcd data dirs). */
  runtimeDir: string;
  logger: Logger;
  /** How long a "Waiting until …" step waits before it fails (and the flow retries later). */
  waitTimeoutMs: number;
  /** The shoot API servers' node monitor grace period (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Called around every step of the shoot flows (the crash tests' crash points). */
  flowHooks?: FlowHooks | undefined;
}

/** Extension kinds the local provider deploys for every shoot, with the name Gardener gives them. */
export const shootExtensions = [
  { plural: 'infrastructures', kind: 'Infrastructure', name: (shoot: KubeObject) => shoot.metadata.name! },
  { plural: 'dnsrecords', kind: 'DNSRecord', name: (shoot: KubeObject) => `${shoot.metadata.name}-internal` },
  { plural: 'controlplanes', kind: 'ControlPlane', name: (shoot: KubeObject) => shoot.metadata.name! },
  { plural: 'workers', kind: 'Worker', name: (shoot: KubeObject) => shoot.metadata.name! },
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
  // Uncompressed, etcd-druid's default: gzip in Node runs at 10–18 MB/s, so a gzip'd final full
  // snapshot of 100 MB alone took ~6 s of a migration's API downtime (bench/README.md).
  compression: { enabled: false },
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

  /** The shoot's vpn-seed-server: the same stable host as the API, its own port. */
  get vpnUrl(): string {
    return `wss://${this.apiHost}:${VPN_SEED_SERVER_PORT}`;
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
    let persisted = await this.#persistedSecrets();
    if (!persisted) {
      const state = await this.#shootState();
      const fromState = state ? secretObjectsFromShootState(state, this.namespace) : [];
      persisted = fromState.length > 0 ? fromSecretObjects(fromState) : undefined;
      const objects = persisted
        ? fromState
        : toSecretObjects(this.namespace, await generateShootSecrets(this.namespace));
      for (const obj of objects) await secrets.createIfAbsent(this.namespace, obj, this.#deps.ctx);
      persisted = await this.#persistedSecrets();
    }
    if (!persisted) throw new Error(`the persisted secrets of ${this.namespace} are incomplete`);
    this.#secrets = persisted;
    await this.#ensureEtcdCertificates(persisted);
  }

  /** The persisted secrets in the control-plane namespace, undefined while any is missing. */
  async #persistedSecrets(): Promise<ShootSecrets | undefined> {
    return fromSecretObjects((await this.#store('', 'secrets').list(this.namespace, {})).items.filter(secretsGroup));
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
        ownerReferences: [this.#shootOwnerReference()],
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

  /**
   * The API server needs etcd-main's client URL. With skip-readiness nothing has waited for etcd,
   * so this waits for the URL itself (failing at once when the restore cannot succeed) rather
   * than failing the step with an error that only says "not yet".
   */
  async deployKubeApiServer(): Promise<void> {
    const secrets = this.#requireSecrets();
    let endpoint: string | undefined;
    await this.#poll(`${etcdName} in ${this.namespace} reports its client URL`, async () => {
      const etcd = await this.#store('druid.gardener.cloud', 'etcds').get(this.namespace, etcdName);
      const restoreError = etcdRestoreError(etcd);
      if (restoreError) throw new Error(`${etcdName} cannot start: ${restoreError}`);
      endpoint = etcdClientUrl(etcd);
      return endpoint !== undefined;
    });
    if (!endpoint) throw new Error(`${etcdName} in ${this.namespace} reports no client URL`);
    const client = await this.#secretData('etcd-client-tls');
    const serving = await this.#servingCertificate('kube-apiserver-tls');
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
      ...(this.#deps.nodeMonitorGracePeriodMs !== undefined
        ? { nodeMonitorGracePeriodMs: this.#deps.nodeMonitorGracePeriodMs }
        : {}),
    });
  }

  async waitUntilKubeApiServerReady(): Promise<void> {
    await this.#poll('the Kubernetes API server is ready', async () => this.#deps.apiServers.has(this.namespace));
  }

  /**
   * Gardener's "Deploying vpn-seed-server": the seed's end of the tunnels the shoot's nodes open,
   * on the shoot's stable address; a repeated deploy leaves a running server and its tunnels
   * alone. Only nodes with certificates from `ca-client` get a tunnel.
   */
  async deployVpnSeedServer(): Promise<void> {
    const secrets = this.#requireSecrets();
    const serving = await this.#servingCertificate('vpn-seed-server-tls');
    await this.#deps.vpnServers.ensure({
      name: this.namespace,
      host: this.apiHost,
      port: VPN_SEED_SERVER_PORT,
      serving,
      clientCaPem: secrets.caClient.certPem,
    });
  }

  /** Stops the vpn-seed-server: its address is free for the seed the control plane moves to. */
  async deleteVpnSeedServer(): Promise<void> {
    await this.#deps.vpnServers.stop(this.namespace);
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
    // A re-run after the migrated extension resources were deleted finds no states: keep the saved ones.
    const saved = isRecord(current?.spec) && Array.isArray(current.spec.extensions) ? current.spec.extensions : [];
    const spec = { gardener, extensions: mergeExtensionStates(saved, extensions) };
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

  // -------------------------------------------------------------------------------------------
  // Migrate (source seed)

  async waitUntilKubeApiServerDeleted(): Promise<void> {
    await this.#poll('the Kubernetes API server is stopped', async () => !this.#deps.apiServers.has(this.namespace));
  }

  /**
   * Asks each extension resource to migrate (`gardener.cloud/operation=migrate`): its controller
   * saves what it cannot rebuild in `status.state` and lets go of the object.
   */
  async migrateExtensions(): Promise<void> {
    for (const ext of shootExtensions) {
      const store = this.#store('extensions.gardener.cloud', ext.plural);
      const obj = await store.find(this.namespace, ext.name(this.shoot));
      if (!obj || isExtensionMigrated(obj) || extensionOperation(obj) === ExtensionOperation.Migrate) continue;
      await store.patch(
        this.namespace,
        obj.metadata.name!,
        '',
        'merge',
        { metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Migrate } } },
        this.#deps.ctx,
      );
    }
  }

  /** Each extension resource reports Migrate Succeeded, without finalizer or annotation (or is gone). */
  async waitUntilExtensionsMigrated(): Promise<void> {
    const pending: string[] = [];
    await this.#poll(
      () => `extension resources have been migrated (pending: ${pending.join(', ')})`,
      async () => {
        pending.length = 0;
        for (const ext of shootExtensions) {
          const obj = await this.#store('extensions.gardener.cloud', ext.plural).find(
            this.namespace,
            ext.name(this.shoot),
          );
          const migrated =
            !obj ||
            (isExtensionMigrated(obj) && !extensionOperation(obj) && (obj.metadata.finalizers ?? []).length === 0);
          if (!migrated) pending.push(`${ext.kind} ${ext.name(this.shoot)}`);
        }
        return pending.length === 0;
      },
    );
  }

  /** Deletes the migrated extension resources; without finalizers they go at once, external things stay. */
  async deleteExtensions(): Promise<void> {
    for (const ext of shootExtensions) await this.deleteExtension(ext.plural);
  }

  async waitUntilExtensionsDeleted(): Promise<void> {
    for (const ext of shootExtensions) await this.waitUntilExtensionDeleted(ext.plural);
  }

  /**
   * Whether the Migrate still has to take the final snapshot (Gardener's `etcdSnapshotRequired`):
   * etcd-main exists and the BackupEntry has not been moved on yet — moving it waits for the
   * snapshot, so a moved entry means the final snapshot is in the bucket.
   */
  async etcdSnapshotRequired(): Promise<boolean> {
    const entry = await this.#backupEntry();
    const etcd = await this.#store('druid.gardener.cloud', 'etcds').find(this.namespace, etcdName);
    return etcd !== undefined && entry !== undefined && backupEntrySpecSeedName(entry) === this.#deps.seedName;
  }

  /**
   * Gardener's "Creating ETCD Snapshot": a full snapshot marked final, taken by etcd-main's backup
   * sidecar (`GET <status.backupEndpoint>/snapshot/full?final=true` with the etcd client
   * certificate). The API server is stopped by now, so it holds every acknowledged write. A
   * re-run finds the final snapshot at the current revision and gets it back instead of another.
   */
  async snapshotEtcd(): Promise<void> {
    const client = await this.#secretData('etcd-client-tls');
    let url = '';
    let response: { status: number; body: string } | undefined;
    // Right after this seed's process restarted, the druid is still starting the sidecar again,
    // on a port of its own: the endpoint is read anew each time, and a refused connection means
    // "not yet"; anything else is an answer or an error.
    await this.#poll(
      () => `etcd-main's backup sidecar accepts connections at its endpoint (status.backupEndpoint ${url || 'unset'})`,
      async () => {
        const etcd = await this.#store('druid.gardener.cloud', 'etcds').find(this.namespace, etcdName);
        const endpoint = etcd && isRecord(etcd.status) ? etcd.status.backupEndpoint : undefined;
        if (typeof endpoint !== 'string' || endpoint === '') return false;
        url = `${endpoint}/snapshot/full?final=true`;
        try {
          response = await httpsGet(url, {
            ca: client['ca.crt'],
            cert: client['tls.crt'],
            key: client['tls.key'],
            timeoutMs: this.#deps.waitTimeoutMs,
          });
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return false;
          throw err;
        }
      },
    );
    const { status, body } = response!;
    if (status !== 200) throw new Error(`the final snapshot of etcd-main failed: GET ${url}: HTTP ${status} ${body}`);
    const snapshot = JSON.parse(body) as { snapName?: string; isFinal?: boolean; lastRevision?: number };
    if (snapshot.isFinal !== true) throw new Error(`GET ${url} returned a snapshot not marked final: ${body}`);
    this.#deps.logger.info(
      { shoot: this.namespace, snapshot: snapshot.snapName, revision: snapshot.lastRevision },
      'final etcd snapshot taken',
    );
  }

  /** Gardener's "Migrating BackupEntry to new seed": the entry follows the shoot to its new seed. */
  async migrateBackupEntry(): Promise<void> {
    await this.#deps.garden
      .resource(backupEntryResource)
      .patch(this.shoot.metadata.namespace!, backupEntryName(this.shoot), {
        spec: { seedName: shootSpecSeedName(this.shoot) },
      });
  }

  /** This seed's BackupEntry controller has let go of the entry (status.seedName is no longer this seed). */
  async waitUntilBackupEntryMigrated(): Promise<void> {
    let state = 'it does not exist';
    await this.#poll(
      () => `BackupEntry ${backupEntryName(this.shoot)} is migrated to the new seed (${state})`,
      async () => {
        const entry = await this.#backupEntry();
        if (!entry) return true;
        const last = lastOperationOf(entry);
        state = `status.seedName ${backupEntryStatusSeedName(entry) ?? 'null'}, last operation ${last?.type} ${last?.state}`;
        return backupEntryStatusSeedName(entry) !== this.#deps.seedName;
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Restore (destination seed)

  /**
   * Gardener's `IsCopyOfBackupsRequired`: etcd-main does not exist here yet and the backups are
   * still in another bucket — the entry points elsewhere, or a source entry exists (the entry was
   * already pointed here by an interrupted run).
   */
  async isCopyOfBackupsRequired(): Promise<boolean> {
    if (await this.#store('druid.gardener.cloud', 'etcds').find(this.namespace, etcdName)) return false;
    const entry = await this.#backupEntry();
    if (!entry) throw new Error(`BackupEntry ${backupEntryName(this.shoot)} does not exist: nothing to restore from`);
    if (await this.#sourceBackupEntry()) return true;
    return backupEntryBucketName(entry) !== (await this.#seed()).metadata.uid;
  }

  /**
   * Gardener's "Deploying source backup entry": `source-<entry>` in the garden, in the bucket the
   * backups are in now (the source seed's), placed on this seed. Its extension object writes
   * `source-etcd-backup` into the control-plane namespace for the copy.
   */
  async deploySourceBackupEntry(): Promise<void> {
    if (await this.#sourceBackupEntry()) return;
    const entry = await this.#backupEntry();
    const bucketName = entry && backupEntryBucketName(entry);
    if (!bucketName) throw new Error(`BackupEntry ${backupEntryName(this.shoot)} names no bucket`);
    const namespace = this.shoot.metadata.namespace!;
    await this.#deps.garden.resource(backupEntryResource).create(namespace, {
      apiVersion: GARDENER_API_VERSION,
      kind: 'BackupEntry',
      metadata: {
        name: sourceBackupEntryName(this.shoot),
        namespace,
        labels: { 'shoot.gardener.cloud/name': this.shoot.metadata.name! },
        ownerReferences: [this.#shootOwnerReference()],
      },
      spec: { bucketName, seedName: this.#deps.seedName },
    });
  }

  async waitUntilSourceBackupEntryReconciled(): Promise<void> {
    let reason = 'it does not exist';
    await this.#poll(
      () => `the source BackupEntry ${sourceBackupEntryName(this.shoot)} is reconciled (${reason})`,
      async () => {
        const entry = await this.#sourceBackupEntry();
        reason = entry ? (backupObjectNotReadyReason(entry) ?? '') : 'it does not exist';
        return entry !== undefined && backupObjectReady(entry);
      },
    );
  }

  /**
   * Gardener's "Deploying BackupEntry for ETCD data" in a Restore: the entry moves into this
   * seed's bucket (named after its UID), with `gardener.cloud/operation=restore`; from now on the
   * backups of etcd-main go there.
   */
  async restoreBackupEntry(): Promise<void> {
    const seed = await this.#seed();
    await this.#deps.garden
      .resource(backupEntryResource)
      .patch(this.shoot.metadata.namespace!, backupEntryName(this.shoot), {
        metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Restore } },
        spec: { bucketName: seed.metadata.uid, seedName: this.#deps.seedName },
      });
  }

  /**
   * Gardener's "Copying etcd backups to new seed's backup bucket": the EtcdCopyBackupsTask named
   * after the shoot, from the source bucket (`source-etcd-backup`) to this seed's bucket
   * (`etcd-backup`), same prefix, waiting up to 5 min for the final snapshot. An existing task is
   * kept: it may be copying, or an operator may have marked it done.
   *
   * The task is created once both secrets are there: with skip-readiness nothing has waited for
   * the two BackupEntries to write them, and a task without them only reports errors that mislead.
   */
  async deployEtcdCopyBackupsTask(): Promise<void> {
    const tasks = this.#store('druid.gardener.cloud', 'etcdcopybackupstasks');
    if (await tasks.find(this.namespace, this.shoot.metadata.name!)) return;
    const secrets = this.#store('', 'secrets');
    const missingSecrets = async () => {
      const found = await Promise.all(
        [SOURCE_ETCD_BACKUP_SECRET, ETCD_BACKUP_SECRET].map(async (name) =>
          (await secrets.find(this.namespace, name)) ? undefined : name,
        ),
      );
      return found.filter((name) => name !== undefined);
    };
    let missing: string[] = [];
    await this.#poll(
      () => `the BackupEntries wrote the secret(s) ${missing.join(', ')} into ${this.namespace}`,
      async () => {
        missing = await missingSecrets();
        return missing.length === 0;
      },
    );
    const source = await this.#sourceBackupEntry();
    const sourceBucketName = source && backupEntryBucketName(source);
    if (!sourceBucketName) throw new Error(`the source BackupEntry ${sourceBackupEntryName(this.shoot)} is missing`);
    const sourceBucket = await this.#deps.garden.resource(backupBucketResource).get('', sourceBucketName);
    const backup = seedBackup(await this.#seed());
    if (!backup) throw new Error(`seed ${this.#deps.seedName} has no spec.backup`);
    const prefix = etcdBackupPrefix(backupEntryName(this.shoot));
    await tasks.createIfAbsent(
      this.namespace,
      {
        apiVersion: 'druid.gardener.cloud/v1alpha1',
        kind: 'EtcdCopyBackupsTask',
        metadata: { name: this.shoot.metadata.name!, namespace: this.namespace },
        spec: {
          podLabels: {
            'networking.gardener.cloud/to-dns': 'allowed',
            'networking.gardener.cloud/to-public-networks': 'allowed',
          },
          sourceStore: {
            provider: pathString(sourceBucket, 'spec.provider.type'),
            container: sourceBucketName,
            prefix,
            secretRef: { name: SOURCE_ETCD_BACKUP_SECRET },
          },
          targetStore: {
            provider: backup.provider,
            container: (await this.#seed()).metadata.uid,
            prefix,
            secretRef: { name: ETCD_BACKUP_SECRET },
          },
          waitForFinalSnapshot: { enabled: true, timeout: '5m' },
        },
      },
      this.#deps.ctx,
    );
  }

  /**
   * Gardener's "Waiting until etcd backups are copied". A task that reports an error fails the
   * step at once with why and what an operator can do (the seed document's manual copy); the
   * flow is retried, and succeeds once the copy (or the operator) marks the task Succeeded.
   */
  async waitUntilEtcdBackupsCopied(): Promise<void> {
    const name = this.shoot.metadata.name!;
    await this.#poll(`EtcdCopyBackupsTask ${this.namespace}/${name} has succeeded`, async () => {
      const task = await this.#store('druid.gardener.cloud', 'etcdcopybackupstasks').find(this.namespace, name);
      if (!task) throw new Error(`EtcdCopyBackupsTask ${this.namespace}/${name} does not exist`);
      if (copyTaskSucceeded(task)) return true;
      const problem = copyTaskFailureMessage(task) ?? copyTaskLastError(task);
      if (problem) throw new Error(copyBackupsFailedMessage(this.shoot, task, problem));
      return false;
    });
  }

  /** Gardener's "Destroying copy etcd backups task resource" (and waiting until the druid let go of it). */
  async destroyEtcdCopyBackupsTask(): Promise<void> {
    const tasks = this.#store('druid.gardener.cloud', 'etcdcopybackupstasks');
    const name = this.shoot.metadata.name!;
    await tasks.deleteIfPresent(this.namespace, name, this.#deps.ctx);
    await this.#poll(`EtcdCopyBackupsTask ${this.namespace}/${name} is gone`, async () => {
      return !(await tasks.find(this.namespace, name));
    });
  }

  /**
   * Gardener's "Destroying source backup entry". Its extension object goes only once the backups
   * are verified in this seed's bucket; without access to the source store an operator removes
   * its finalizer (the seed document's manual path).
   */
  async destroySourceBackupEntry(): Promise<void> {
    try {
      await this.#deps.garden
        .resource(backupEntryResource)
        .delete(this.shoot.metadata.namespace!, sourceBackupEntryName(this.shoot));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async waitUntilSourceBackupEntryDeleted(): Promise<void> {
    await this.#poll(
      `the source BackupEntry ${sourceBackupEntryName(this.shoot)} is gone`,
      async () => !(await this.#sourceBackupEntry()),
    );
  }

  /**
   * An extension resource restored from the ShootState (Gardener's `RestoreExtensionWithDeployFunction`):
   * deployed with `gardener.cloud/operation=wait-for-state`, its `status.state` set from the
   * ShootState, then `restore`. One already restored (no annotation) is deployed as usual.
   */
  async restoreExtension(plural: ExtensionPlural): Promise<void> {
    const ext = shootExtensions.find((e) => e.plural === plural)!;
    const store = this.#store('extensions.gardener.cloud', plural);
    const name = ext.name(this.shoot);
    let current = await store.find(this.namespace, name);
    if (!current) {
      const annotations = { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.WaitForState };
      current = await store.create(
        this.namespace,
        { metadata: { name, annotations }, spec: this.#extensionSpec(plural) },
        this.#deps.ctx,
      );
    }
    const operation = extensionOperation(current);
    if (operation === undefined) return this.deployExtension(plural);
    if (operation !== ExtensionOperation.WaitForState) return;
    const state = extensionStateOf(await this.#shootState(), ext.kind, name);
    await store.patch(this.namespace, name, 'status', 'merge', { status: { state: state ?? null } }, this.#deps.ctx);
    await store.patch(
      this.namespace,
      name,
      '',
      'merge',
      { metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Restore } } },
      this.#deps.ctx,
    );
  }

  /**
   * Gardener's "Waiting until the Kubernetes API server can connect to the Shoot workers", both
   * ways, through the shoot's stable address: every Node the API server knows is Ready and has
   * renewed its Lease since this API server started (it reached this server, not only the one
   * before a migration), and the API server reaches every node through its VPN tunnel
   * (`nodes/<name>/proxy/healthz` answered by the node itself) — and as many nodes have registered
   * as the worker pools' minimums ask for. A shoot without workers has nothing to wait for.
   */
  async waitUntilTunnelConnectionExists(): Promise<void> {
    const get = this.#shootApiGet(this.#requireSecrets());
    let seen = 'no answer yet';
    await this.#poll(
      () => `the Kubernetes API server at ${this.apiUrl} and the shoot's workers reach each other (${seen})`,
      async () => {
        const [nodes, leases] = await Promise.all([
          get('/api/v1/nodes'),
          get(`/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`),
        ]).catch((err: Error) => [{ status: 0, body: err.message }] as const);
        if (nodes.status !== 200 || leases?.status !== 200) {
          const failed = nodes.status !== 200 ? nodes : leases!;
          seen = `HTTP ${failed.status} ${failed.body.slice(0, 200)}`;
          return false;
        }
        const since = this.#deps.apiServers.startedAt(this.namespace) ?? 0;
        const renewed = new Map(
          ((JSON.parse(leases.body) as { items?: KubeObject[] }).items ?? []).map((lease) => {
            const renewTime = isRecord(lease.spec) ? Date.parse(String(lease.spec.renewTime)) : Number.NaN;
            return [lease.metadata.name, renewTime] as const;
          }),
        );
        const nodeProblem = async (node: KubeObject): Promise<string | undefined> => {
          const name = node.metadata.name!;
          const notReady = nodeNotReady(node);
          if (notReady) return `${name} is not Ready${notReady === 'not Ready' ? '' : ` (${notReady})`}`;
          if (!((renewed.get(name) ?? 0) >= since)) return `${name} has not reached this API server yet`;
          return tunnelProblem(get, name);
        };
        const items = (JSON.parse(nodes.body) as { items?: KubeObject[] }).items ?? [];
        const problems = (await Promise.all(items.map(nodeProblem))).filter((p) => p !== undefined);
        const wanted = this.#nodesWanted();
        if (items.length < wanted) problems.unshift(`${items.length} of ${wanted} nodes have registered`);
        seen = problems.length > 0 ? problems.join('; ') : 'ok';
        return problems.length === 0;
      },
    );
  }

  /**
   * What the shoot's health conditions say (src/seed/gardenlet/shoot-care.ts): the API server's
   * `/healthz`, the control-plane components running here, the nodes, and every node's tunnel.
   */
  async healthFacts(): Promise<ShootHealthFacts> {
    const controlPlaneProblems = [
      ...((await this.etcdHealthy()) ? [] : [`${etcdName} is not ready`]),
      ...(this.#deps.apiServers.has(this.namespace) ? [] : ['kube-apiserver is not running']),
      ...(this.#deps.vpnServers.has(this.namespace) ? [] : ['vpn-seed-server is not running']),
    ];
    const nodesWanted = this.#nodesWanted();
    const secrets = this.#secrets ?? (await this.#persistedSecrets());
    if (!secrets) {
      const problem = 'the control plane has no credentials on this seed';
      return { apiServerProblem: problem, controlPlaneProblems, nodesWanted, nodes: [], tunnelProblems: [] };
    }
    const get = this.#shootApiGet(secrets);
    const answer = (r: { status: number; body: string }) => `HTTP ${r.status}: ${statusMessage(r.body)}`;
    const failed = (err: Error) => ({ status: 0, body: err.message });
    const healthz = await get('/healthz').catch(failed);
    const apiServerProblem = healthz.status === 200 ? undefined : answer(healthz);
    const list = apiServerProblem ? undefined : await get('/api/v1/nodes').catch(failed);
    if (list?.status !== 200) {
      const why = list ? answer(list) : 'the API server is not available';
      return {
        apiServerProblem,
        controlPlaneProblems,
        nodesWanted,
        nodes: [],
        tunnelProblems: [`the nodes cannot be listed (${why})`],
      };
    }
    const items = (JSON.parse(list.body) as { items?: KubeObject[] }).items ?? [];
    const nodes = items.map((node) => ({ name: node.metadata.name!, notReady: nodeNotReady(node) }));
    const tunnelProblems = (await Promise.all(nodes.map((n) => tunnelProblem(get, n.name)))).filter(
      (p) => p !== undefined,
    );
    return { apiServerProblem, controlPlaneProblems, nodesWanted, nodes, tunnelProblems };
  }

  /** The nodes the worker pools ask for: the sum of their minimums. */
  #nodesWanted(): number {
    return shootWorkerPools(this.shoot).reduce((sum, pool) => sum + (Number(pool.minimum) || 0), 0);
  }

  /** GETs on the shoot's API server with the gardenlet's own token. */
  #shootApiGet(secrets: ShootSecrets): (path: string) => Promise<{ status: number; body: string }> {
    return (path) =>
      httpsGet(`${this.apiUrl}${path}`, { ca: secrets.ca.certPem, bearerToken: secrets.staticToken, timeoutMs: 5_000 });
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
        prefix: etcdBackupPrefix(backupEntryName(this.shoot)),
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

  async #sourceBackupEntry(): Promise<KubeObject | undefined> {
    try {
      return await this.#deps.garden
        .resource(backupEntryResource)
        .get(this.shoot.metadata.namespace!, sourceBackupEntryName(this.shoot));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The shoot owns its BackupEntries in the garden (they go when it goes). */
  #shootOwnerReference() {
    return {
      apiVersion: GARDENER_API_VERSION,
      kind: 'Shoot',
      name: this.shoot.metadata.name!,
      uid: this.shoot.metadata.uid!,
      controller: true,
      blockOwnerDeletion: false,
    };
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
      case 'workers':
        return {
          ...base,
          pools: shootWorkerPools(this.shoot),
          providerConfig: {
            apiVersion: 'local.provider.extensions.transplant.dev/v1alpha1',
            kind: WORKER_CONFIG_KIND,
            apiServerURL: this.apiUrl,
            vpnServerURL: this.vpnUrl,
          },
        };
      default:
        return base;
    }
  }

  async #ensureEtcdCertificates(secrets: ShootSecrets): Promise<void> {
    const caPem = secrets.caEtcd.certPem;
    await this.#ensureTlsSecret('etcd-server-tls', caPem, () =>
      issueEtcdServerCertificate(secrets.caEtcd, ['127.0.0.1', 'localhost']),
    );
    await this.#ensureTlsSecret('etcd-client-tls', caPem, () => issueEtcdClientCertificate(secrets.caEtcd));
  }

  /**
   * A serving certificate for the shoot's stable address from the shoot's `ca`, naming this seed
   * (src/shoot/serving-seed.ts). Kept in the namespace, so deploying again does not restart a
   * running server for a new certificate; the namespace, and the secret, are this seed's only.
   */
  #servingCertificate(secretName: string): Promise<{ certPem: string; keyPem: string }> {
    const secrets = this.#requireSecrets();
    return this.#ensureTlsSecret(secretName, secrets.ca.certPem, () =>
      issueKubeApiServerCertificate(secrets.ca, {
        ip: this.apiHost,
        dnsNames: [servingSeedDnsName(this.#deps.seedName)],
      }),
    );
  }

  /** The certificate and key of a `kubernetes.io/tls` secret, issued and stored when it is missing. */
  async #ensureTlsSecret(
    name: string,
    caPem: string,
    issue: () => Promise<{ certPem: string; keyPem: string }>,
  ): Promise<{ certPem: string; keyPem: string }> {
    const store = this.#store('', 'secrets');
    if (!(await store.find(this.namespace, name))) {
      const pair = await issue();
      await store.createIfAbsent(
        this.namespace,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: this.namespace },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), 'ca.crt': b64(caPem) },
        },
        this.#deps.ctx,
      );
    }
    const data = await this.#secretData(name);
    return { certPem: data['tls.crt']!, keyPem: data['tls.key']! };
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
    // Capped at 100 ms: waits sit on the migration's critical path, and the checks are cheap.
    for (let delay = 25; ; delay = Math.min(delay * 2, 100)) {
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

/** `existing` ShootState extension entries with `updates` upserted by kind and name. */
function mergeExtensionStates(existing: readonly unknown[], updates: readonly Record<string, unknown>[]): unknown[] {
  const key = (e: unknown) => (isRecord(e) ? `${e.kind}/${e.name}` : '');
  const replaced = new Set(updates.map(key));
  return [...existing.filter((e) => !replaced.has(key(e))), ...updates];
}

/** `status.state` the ShootState keeps for the extension resource `kind`/`name`. */
function extensionStateOf(shootState: KubeObject | undefined, kind: string, name: string): unknown {
  const extensions =
    isRecord(shootState?.spec) && Array.isArray(shootState.spec.extensions) ? shootState.spec.extensions : [];
  const entry = extensions.find((e) => isRecord(e) && e.kind === kind && e.name === name);
  return isRecord(entry) ? entry.state : undefined;
}

interface HttpsGetOptions {
  ca: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  bearerToken?: string;
  timeoutMs: number;
}

/** One HTTPS GET with the given trust and credentials; resolves with the status and body text. */
function httpsGet(url: string, options: HttpsGetOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        timeout: options.timeoutMs,
        headers: options.bearerToken ? { authorization: `Bearer ${options.bearerToken}` } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Why the node is not Ready (its Ready condition's reason and message), undefined when it is. */
function nodeNotReady(node: KubeObject): string | undefined {
  const ready = conditionOf(node, 'Ready');
  if (ready?.status === 'True') return undefined;
  const why = [ready?.reason, ready?.message].filter((s) => typeof s === 'string' && s !== '').join(': ');
  return why || 'not Ready';
}

/** Undefined when the node answers `/healthz` through its VPN tunnel, else why it does not. */
async function tunnelProblem(
  get: (path: string) => Promise<{ status: number; body: string }>,
  node: string,
): Promise<string | undefined> {
  const probe = await get(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/healthz`).catch((err: Error) => ({
    status: 0,
    body: err.message,
  }));
  if (probe.status === 200 && probe.body.trim() === 'ok') return undefined;
  return `the API server cannot reach ${node} through the VPN tunnel (HTTP ${probe.status}: ${statusMessage(probe.body)})`;
}

/** The message of a Kubernetes Status in `body`, else the body's start. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not a Status
  }
  return body.trim().slice(0, 200);
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The Worker's pools from the shoot's `spec.provider.workers` (Gardener's field names). */
function shootWorkerPools(shoot: KubeObject): Record<string, unknown>[] {
  const provider = isRecord(shoot.spec) && isRecord(shoot.spec.provider) ? shoot.spec.provider : {};
  const workers = Array.isArray(provider.workers) ? provider.workers.filter(isRecord) : [];
  const shootVersion = pathString(shoot, 'spec.kubernetes.version');
  return workers.map((w) => ({
    name: w.name,
    machineType: isRecord(w.machine) && typeof w.machine.type === 'string' ? w.machine.type : 'local',
    minimum: w.minimum ?? 0,
    maximum: w.maximum ?? w.minimum ?? 0,
    ...(w.maxSurge !== undefined ? { maxSurge: w.maxSurge } : {}),
    ...(w.maxUnavailable !== undefined ? { maxUnavailable: w.maxUnavailable } : {}),
    ...(isRecord(w.labels) ? { labels: w.labels } : {}),
    ...(Array.isArray(w.zones) ? { zones: w.zones } : {}),
    ...kubernetesVersion(pathString(w, 'kubernetes.version') ?? shootVersion),
  }));
}

function kubernetesVersion(version: string | undefined): { kubernetesVersion?: string } {
  return version ? { kubernetesVersion: version } : {};
}
