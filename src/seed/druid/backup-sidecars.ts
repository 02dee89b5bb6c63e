/**
 * The backup sidecars of the druid's etcds (etcd-backup-restore's `server` beside each etcd): one
 * Snapshotter plus its HTTPS endpoint per Etcd with `spec.backup.store`, running in the seed
 * process. A seed that restarts starts them again on its first reconcile; the snapshotter picks
 * up from the store's latest snapshot, so nothing is taken twice or skipped.
 *
 * A sidecar is (re)started when what it depends on changes — the store or its secret, the etcd's
 * URL or TLS, the schedule — and stopped (flushing the events it holds into a last delta)
 * before its etcd is stopped, restored or deleted.
 */
import type { Logger } from 'pino';
import type { Etcd } from '../../api/druid/etcd.js';
import type { SidecarServer } from '../../backup/sidecar-server.js';
import { startSidecarServer } from '../../backup/sidecar-server.js';
import { Snapshotter, type SnapshotterOptions } from '../../backup/snapshotter/snapshotter.js';
import type { BackupMetrics, EtcdRef } from './backup-metrics.js';
import type { RestorationObserver } from './etcd-backup.js';

export interface SidecarSpec {
  snapshotter: Omit<SnapshotterOptions, 'logger' | 'observer'>;
  /**
   * The sidecar's HTTPS identity (the etcd's server certificate) and the CA client certificates
   * must chain to. An etcd without TLS gets no HTTP endpoint: every API here speaks TLS.
   */
  serverTls?: { certPem: string; keyPem: string; caPem?: string };
  /** The port to serve on (kept across seed restarts); 0 picks one. */
  port: number;
  /** Identifies everything above: a different key restarts the sidecar. */
  key: string;
}

export interface BackupSidecar {
  readonly snapshotter: Snapshotter;
  /** `https://127.0.0.1:<port>`: `/snapshot/full[?final=true]`, `/snapshot/latest`, `/healthz`; none without TLS. */
  readonly url: string | undefined;
  readonly port: number | undefined;
  readonly key: string;
}

interface Running extends BackupSidecar {
  server: SidecarServer | undefined;
}

export class BackupSidecars {
  readonly #log: Logger;
  readonly #metrics: BackupMetrics | undefined;
  readonly #running = new Map<string, Running>();
  /** Serializes start/stop per etcd: reconciles of one key never overlap, but stopAll may. */
  readonly #pending = new Map<string, Promise<unknown>>();

  /** `metrics`: where the sidecars' snapshots and the restores are reported (the seed's /metrics). */
  constructor(logger: Logger, metrics?: BackupMetrics) {
    this.#log = logger.child({ component: 'backup-sidecar' });
    this.#metrics = metrics;
  }

  /** What restores of `etcd`'s data dir from its store report to; none without metrics. */
  restorationObserver(etcd: Pick<Etcd, 'metadata'>): RestorationObserver | undefined {
    return this.#metrics?.restorationObserver(etcdRef(`${etcd.metadata.namespace}/${etcd.metadata.name}`));
  }

  get(id: string): BackupSidecar | undefined {
    return this.#running.get(id);
  }

  /** The running sidecar for `id` matching `spec`, started (or restarted) as needed. */
  ensure(id: string, spec: SidecarSpec): Promise<BackupSidecar> {
    return this.#serialize(id, async () => {
      const running = this.#running.get(id);
      if (running && running.key === spec.key) return running;
      if (running) await this.#stop(id, running);
      const logger = this.#log.child({ etcd: id });
      const observer = this.#metrics?.snapshotterObserver(etcdRef(id));
      const snapshotter = new Snapshotter({ ...spec.snapshotter, logger, ...(observer ? { observer } : {}) });
      await snapshotter.start();
      let server: SidecarServer | undefined;
      try {
        if (spec.serverTls) {
          server = await startSidecarServer({
            snapshotter,
            host: '127.0.0.1',
            port: spec.port,
            tls: spec.serverTls,
            logger,
          });
        }
      } catch (err) {
        await snapshotter.stop().catch(() => undefined);
        throw err;
      }
      const started: Running = { snapshotter, server, url: server?.url, port: server?.port, key: spec.key };
      this.#running.set(id, started);
      logger.info({ url: server?.url, store: spec.snapshotter.store.location }, 'backup sidecar started');
      return started;
    });
  }

  /** Flushes and stops the sidecar of `id`, if any. */
  stop(id: string): Promise<void> {
    return this.#serialize(id, async () => {
      const running = this.#running.get(id);
      if (running) await this.#stop(id, running);
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((id) => this.stop(id)));
  }

  async #stop(id: string, running: Running): Promise<void> {
    this.#running.delete(id);
    await running.server?.close().catch(() => undefined);
    await running.snapshotter.stop();
    this.#metrics?.sidecarStopped(etcdRef(id));
    this.#log.info({ etcd: id }, 'backup sidecar stopped');
  }

  #serialize<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#pending.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.#pending.set(id, next);
    void next
      .finally(() => {
        if (this.#pending.get(id) === next) this.#pending.delete(id);
      })
      .catch(() => undefined);
    return next;
  }
}

/** The Etcd a sidecar id (`<namespace>/<name>`) names. */
function etcdRef(id: string): EtcdRef {
  const slash = id.indexOf('/');
  return { namespace: id.slice(0, slash), etcd: id.slice(slash + 1) };
}
