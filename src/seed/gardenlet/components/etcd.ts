/**
 * The shoot's main etcd (`etcd-main`, an Etcd object the seed's druid realises as an etcd process
 * with a backup sidecar): its TLS from `ca-etcd`, its backups in the shoot's BackupEntry when the
 * seed has backups — `<bucket>/<backupEntryName>/etcd-main` through the secret `etcd-backup`
 * (Gardener's layout, docs/backups.md) — and the final snapshot a Migrate takes.
 */

import { shootHibernationEnabled } from '../../../api/core-gardener/shoot.js';
import { isStoreProvider, type StoreProvider } from '../../../api/druid/common.js';
import {
  type Etcd,
  type EtcdSpec,
  etcdReady,
  etcdReplicas,
  etcdResource,
  etcdRestoreError,
} from '../../../api/druid/etcd.js';
import { RestClient } from '../../../client/rest-client.js';
import { terminal } from '../../../flow/task-errors.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import { ETCD_BACKUP_SECRET, etcdBackupPrefix } from '../../extensions/backup-actuators.js';
import { shootLabels } from '../shoot-labels.js';
import type { BackupEntry } from './backup-entry.js';
import type { ComponentContext } from './context.js';
import type { DeployWaiter } from './interfaces.js';
import type { SecretsManager } from './secrets.js';
import { NotYetError, waitUntil } from './wait.js';

export const ETCD_MAIN = 'etcd-main';

/**
 * Backup settings of etcd-main beyond the store. Gardener takes a full snapshot daily and a delta
 * every 5 min; Transplant moves control planes and restores them to the last backed-up revision,
 * so it takes fulls hourly and deltas every 20 s (the snapshotter's defaults) to keep the window
 * of writes not yet in the store small.
 */
export const etcdBackupDefaults: Readonly<EtcdSpec['backup']> = Object.freeze({
  fullSnapshotSchedule: '0 */1 * * *',
  deltaSnapshotPeriod: '20s',
  deltaSnapshotMemoryLimit: '100Mi',
  garbageCollectionPolicy: 'Exponential',
  garbageCollectionPeriod: '1m',
  // Uncompressed, etcd-druid's default: gzip in Node runs at 10–18 MB/s, so a gzip'd final full
  // snapshot of 100 MB alone took ~6 s of a migration's API downtime (bench/README.md).
  compression: { enabled: false },
});

export class EtcdMain implements DeployWaiter {
  readonly #c: ComponentContext;
  readonly #backupEntry: BackupEntry;
  readonly #secrets: SecretsManager;

  constructor(c: ComponentContext, backupEntry: BackupEntry, secrets: SecretsManager) {
    this.#c = c;
    this.#backupEntry = backupEntry;
    this.#secrets = secrets;
  }

  /**
   * "Deploying main and events etcd". A hibernated shoot's etcd keeps the replicas it has (as
   * Gardener's): "Hibernating control plane" takes it to 0 after its final snapshot, and a new one
   * (a Restore) starts, restoring its data, before that.
   */
  async deploy(_ctx: TaskContext): Promise<void> {
    const current = await this.get();
    const spec: EtcdSpec = {
      replicas: shootHibernationEnabled(this.#c.shoot) && current ? etcdReplicas(current) : 1,
      labels: { role: 'main', 'gardener.cloud/role': 'controlplane' },
      selector: { matchLabels: { role: 'main' } },
      etcd: {
        clientUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
          serverTLSSecretRef: { name: 'etcd-server-tls' },
          clientTLSSecretRef: { name: 'etcd-client-tls' },
        },
        // For every shoot: a live migration adds the destination's members to a single-member
        // cluster too (docs/live-migration.md), and members talk TLS only.
        peerUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
          serverTLSSecretRef: { name: 'etcd-server-tls' },
        },
      },
      backup: await this.#backupSpec(),
    };
    // The labels let the shoot controller's watch find the shoot when etcd-main stops being ready.
    const metadata = { name: ETCD_MAIN, labels: shootLabels(this.#c.shoot) };
    if (current) await this.#etcds().patch(this.#c.namespace, ETCD_MAIN, { metadata, spec });
    else await this.#etcds().create(this.#c.namespace, { metadata, spec });
  }

  /**
   * "Waiting until main and event etcd report readiness"; a restore that cannot succeed fails it at
   * once. Ready for the current spec: a status the druid wrote before a scale-up does not count.
   */
  async wait(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const etcd = await this.#getRestorable();
      if (!etcd || !etcdReady(etcd) || !observed(etcd)) throw new NotYetError(`${ETCD_MAIN} is not ready`);
    });
  }

  /**
   * "Scaling etcd up" (Gardener's `ScaleUpETCD`): a hibernated shoot's etcd runs again on its
   * kept data, so that the Migrate can take the final snapshot.
   */
  async scaleUp(_ctx: TaskContext): Promise<void> {
    const etcd = await this.get();
    if (etcd && etcdReplicas(etcd) === 0)
      await this.#etcds().patch(this.#c.namespace, ETCD_MAIN, { spec: { replicas: 1 } });
  }

  /**
   * Hibernation's part of etcd: a full snapshot first when it backs up (every acknowledged write in
   * the bucket: the API server is stopped by now), then `spec.replicas: 0`, until the druid has
   * stopped it; its data directory stays. Once at 0 nothing is taken again.
   */
  async hibernate(ctx: TaskContext): Promise<void> {
    const etcd = await this.get();
    if (!etcd) return;
    if (etcdReplicas(etcd) !== 0) {
      if (etcd.spec.backup.store) await this.#fullSnapshot(ctx, { final: false });
      await this.#etcds().patch(this.#c.namespace, ETCD_MAIN, { spec: { replicas: 0 } });
    }
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (!(await this.stopped())) throw new NotYetError(`${ETCD_MAIN} has not stopped yet`);
    });
  }

  /** etcd-main is at 0 replicas and the druid has stopped it (its data kept). */
  async stopped(): Promise<boolean> {
    const etcd = await this.get();
    return etcd !== null && etcdReplicas(etcd) === 0 && observed(etcd) && etcd.status?.currentReplicas === 0;
  }

  /** "Destroying main and events etcd": the druid stops it and removes its data. */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.#etcds().deleteIfPresent(this.#c.namespace, ETCD_MAIN);
  }

  /** "Waiting until main and event etcd have been destroyed". */
  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (await this.get()) throw new NotYetError(`${ETCD_MAIN} still exists`);
    });
  }

  /**
   * Until etcd-main reports its client URL (what the API server connects to). With
   * skip-readiness nothing has waited for etcd before the API server is deployed, so this waits
   * itself rather than failing with an error that only says "not yet".
   */
  async clientUrl(ctx: TaskContext): Promise<string> {
    let url: string | undefined;
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const etcd = await this.#getRestorable();
      url = etcd?.status?.endpoint || undefined;
      if (!url) throw new NotYetError(`${ETCD_MAIN} in ${this.#c.namespace} reports no client URL`);
    });
    return url!;
  }

  /**
   * "Creating ETCD Snapshot": a full snapshot marked final, taken by etcd-main's backup sidecar
   * (`GET <status.backupEndpoint>/snapshot/full?final=true` with the etcd client certificate). The
   * API server is stopped by now, so it holds every acknowledged write. A re-run finds the final
   * snapshot at the current revision and gets it back instead of another.
   */
  async snapshot(ctx: TaskContext): Promise<void> {
    await this.#fullSnapshot(ctx, { final: true });
  }

  /** A full snapshot by etcd-main's backup sidecar, marked final or not. */
  async #fullSnapshot(ctx: TaskContext, { final }: { final: boolean }): Promise<void> {
    const path = final ? '/snapshot/full?final=true' : '/snapshot/full';
    const client = await this.#secrets.data('etcd-client-tls');
    let endpoint: string | undefined;
    let snapshot: { snapName?: string; isFinal?: boolean; lastRevision?: number } | undefined;
    // Right after this seed's process restarted, the druid is still starting the sidecar again,
    // on a port of its own: the endpoint is read anew each time, and a refused connection means
    // "not yet"; any other failure is the step's error.
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const etcd = await this.get();
      endpoint = etcd?.status?.backupEndpoint || undefined;
      if (!endpoint) throw new NotYetError(`${ETCD_MAIN} reports no backup endpoint (status.backupEndpoint)`);
      const sidecar = new RestClient({
        server: endpoint,
        caPem: client['ca.crt'],
        clientCertPem: client['tls.crt'],
        clientKeyPem: client['tls.key'],
      });
      try {
        snapshot = await sidecar.request('GET', path, undefined, undefined, this.#c.waitTimeoutMs);
      } catch (err) {
        if (refused(err)) throw new NotYetError(`${ETCD_MAIN}'s backup sidecar refuses connections at ${endpoint}`);
        throw terminal(
          new Error(
            `the ${final ? 'final' : 'full'} snapshot of ${ETCD_MAIN} failed: GET ${endpoint}${path}: ${(err as Error).message}`,
          ),
        );
      } finally {
        sidecar.close();
      }
    });
    if (final && snapshot?.isFinal !== true) {
      throw new Error(`GET ${endpoint}${path} returned a snapshot not marked final: ${JSON.stringify(snapshot)}`);
    }
    this.#c.logger.info(
      { shoot: this.#c.namespace, snapshot: snapshot?.snapName, revision: snapshot?.lastRevision },
      final ? 'final etcd snapshot taken' : 'full etcd snapshot taken',
    );
  }

  /** etcd-main exists and is ready (false also while it is being restored). */
  async healthy(): Promise<boolean> {
    const etcd = await this.get();
    return etcd !== null && etcdReady(etcd);
  }

  get(): Promise<Etcd | null> {
    return this.#etcds().find(this.#c.namespace, ETCD_MAIN);
  }

  /** etcd-main, or null; a restore from broken backups cannot be mended by waiting: that fails at once, naming the cause. */
  async #getRestorable(): Promise<Etcd | null> {
    const etcd = await this.get();
    const restoreError = etcd ? etcdRestoreError(etcd) : undefined;
    if (restoreError) throw terminal(new Error(`${ETCD_MAIN} cannot start: ${restoreError}`));
    return etcd;
  }

  /** `spec.backup`: empty without seed backups, else the BackupEntry's store and the schedule. */
  async #backupSpec(): Promise<EtcdSpec['backup']> {
    const backup = (await this.#c.seedObject()).spec.backup;
    if (!backup) return {};
    const bucketName = await this.#backupEntry.bucketName();
    if (!bucketName) throw new Error(`BackupEntry ${this.#backupEntry.name} does not exist yet`);
    return {
      store: {
        provider: storeProvider(backup.provider, `seed ${this.#c.seedName}`),
        container: bucketName,
        prefix: etcdBackupPrefix(this.#backupEntry.name),
        secretRef: { name: ETCD_BACKUP_SECRET },
      },
      ...etcdBackupDefaults,
    };
  }

  #etcds() {
    return this.#c.seed.resource(etcdResource);
  }
}

/** A seed's or a bucket's backup provider as a store provider of the druid; an error naming `owner` when it is none. */
export function storeProvider(type: string, owner: string): StoreProvider {
  if (isStoreProvider(type)) return type;
  throw new Error(`${owner} uses the backup provider "${type}", which the druid does not implement (local, s3)`);
}

/** The druid's status is of the current spec (a stale Ready from before a scale does not count). */
function observed(etcd: Etcd): boolean {
  return etcd.status?.observedGeneration === (etcd.metadata.generation ?? 1);
}

/** Whether `err` (a 503 from RestClient) comes from a refused connection: nobody listens there yet. */
function refused(err: unknown): boolean {
  return (err as { cause?: NodeJS.ErrnoException }).cause?.code === 'ECONNREFUSED';
}
