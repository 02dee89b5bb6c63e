/**
 * A seed: its own API server (the seed's resources: extension and druid objects, secrets,
 * namespaces of shoot control planes) and its gardenlet, which registers the seed in the garden,
 * keeps its heartbeat and reconciles the shoots placed on it.
 *
 * One file over 500 lines: it wires the seed's controllers and runtimes together, in the order
 * they depend on each other; each is a module of its own.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { namespaceResource } from '../api/core/namespace.js';
import { backupBucketResource } from '../api/core-gardener/backup-bucket.js';
import { backupEntryResource } from '../api/core-gardener/backup-entry.js';
import { controllerInstallationResource } from '../api/core-gardener/controller-installation.js';
import { extensionId } from '../api/core-gardener/controller-registration.js';
import { shootResource } from '../api/core-gardener/shoot.js';
import { etcdReady, etcdResource, isEtcd } from '../api/druid/etcd.js';
import { etcdCopyBackupsTaskResource } from '../api/druid/etcd-copy-backups-task.js';
import { extensionBackupBucketResource } from '../api/extensions/backup-bucket.js';
import { extensionBackupEntryResource } from '../api/extensions/backup-entry.js';
import type { ExtensionObject } from '../api/extensions/common.js';
import { controlPlaneResource } from '../api/extensions/control-plane.js';
import { dnsRecordResource } from '../api/extensions/dns-record.js';
import { infrastructureResource } from '../api/extensions/infrastructure.js';
import { workerResource } from '../api/extensions/worker.js';
import type { KubeObject } from '../api/meta.js';
import { migrationPreflightResource } from '../api/migration-transplant/migration-preflight.js';
import type { ResourceRef } from '../api/resource-ref.js';
import type { AuditLogConfig } from '../apiserver/audit/audit-log.js';
import { NamespaceLifecycle } from '../apiserver/plugins/namespace-lifecycle.js';
import { defaultVersion, type RequestLimits } from '../apiserver/server.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { Controller, watchOf } from '../controller/controller.js';
import { clientListWatch, unionListWatch } from '../controller/list-watch.js';
import { NamespaceReconciler } from '../controller/namespace-controller.js';
import { ItemExponentialFailureRateLimiter } from '../controller/rate-limiter.js';
import type { FlowHooks } from '../flow/flow.js';
import {
  type HostedApiServer,
  type HostedApiServerOptions,
  startHostedApiServer,
} from '../hosting/hosted-api-server.js';
import { coreDefinitions } from '../registry/core/index.js';
import { druidDefinitions } from '../registry/druid/index.js';
import { extensionDefinitions } from '../registry/extensions/index.js';
import { controlPlaneDir } from './control-plane-dir.js';
import { BackupMetrics } from './druid/backup-metrics.js';
import { BackupSidecars } from './druid/backup-sidecars.js';
import { CopyBackupsTaskReconciler } from './druid/copy-backups-task-controller.js';
import { EtcdReconciler } from './druid/etcd-controller.js';
import { type Actuator, recordingActuator } from './extensions/actuator.js';
import { backupBucketActuator, backupEntryActuator } from './extensions/backup-actuators.js';
import { byProviderType, rfc2136DnsRecordActuator } from './extensions/dns-record-actuator.js';
import { ExtensionReconciler } from './extensions/extension-controller.js';
import { EXTENSION_PACKAGES, type ExtensionPackage, ServedExtensions } from './extensions/extension-packages.js';
import { localNodeAgentArgs, workerActuator } from './extensions/worker-actuator.js';
import { BackupAgeReporter } from './gardenlet/backup-age-reporter.js';
import {
  BackupBucketReconciler,
  deploySeedBackupBucket,
  seedBackupBucketsCondition,
} from './gardenlet/backup-bucket-controller.js';
import {
  BackupEntryReconciler,
  backupEntryRelevantState,
  DEFAULT_BACKUP_ENTRY_DELETION_GRACE_PERIOD_MS,
  gardenBackupEntryOf,
} from './gardenlet/backup-entry-controller.js';
import { ETCD_MAIN } from './gardenlet/components/etcd.js';
import {
  ControllerInstallationReporter,
  extensionsReadyCondition,
} from './gardenlet/controller-installation-controller.js';
import { advertisedEtcdPeerEndpoint, startEtcdPeerProbeListener } from './gardenlet/etcd-peer-probe.js';
import { EtcdPeerReachability } from './gardenlet/etcd-peer-reachability.js';
import { SeedHeartbeat } from './gardenlet/heartbeat.js';
import { RFC2136_PROVIDER } from './gardenlet/internal-domain.js';
import { MigrationMetrics } from './gardenlet/migration-metrics.js';
import { MigrationPreflightProber } from './gardenlet/migration-preflight-prober.js';
import { backupEntryOf, RestoreProgressReporter } from './gardenlet/restore-progress-reporter.js';
import { registerSeed, reportSeedReconciled, type SeedBackupConfig } from './gardenlet/seed-registration.js';
import type { ShootAddressPool } from './gardenlet/shoot-address-pool.js';
import { ShootApiProbes } from './gardenlet/shoot-api-probe.js';
import { ShootEvents } from './gardenlet/shoot-events.js';
import { shootKeysOf } from './gardenlet/shoot-labels.js';
import { ShootReconciler, shootRetryBackoff, shootRetryTrigger } from './gardenlet/shoot-reconciler.js';
import { ApiServerRuntime } from './runtime/apiserver-runtime.js';
import { ControllerManagerRuntime } from './runtime/controller-manager-runtime.js';
import { MachineRuntime } from './runtime/machine-runtime.js';
import { SchedulerRuntime } from './runtime/scheduler-runtime.js';
import { shootApiServerMetrics } from './runtime/shoot-apiserver-metrics.js';
import { VpnServerRuntime } from './runtime/vpn-server-runtime.js';

export interface SeedOptions {
  name: string;
  dir: string;
  gardenKubeconfig: string;
  /** Where the seed's API server listens; default 127.0.0.1. */
  listenAddress?: string;
  /** The address or name others reach the seed's API server at (kubeconfig, certificate); default the listen address. */
  advertiseAddress?: string;
  /**
   * The address this seed's etcd peer network is on: its peer probe listener listens there
   * (docs/live-migration.md, "Asking for it"); default the listen address. When given, shoot etcd
   * members with peer TLS listen there too, for their peers and clients ("The etcd side");
   * otherwise on loopback.
   */
  etcdPeerAddress?: string;
  /**
   * Where other seeds reach that network, `HOST` or `HOST:PORT` (a NAT's address); published on
   * the Seed. Default the etcd peer address (or the advertise address) with the listener's port.
   */
  etcdPeerAdvertiseAddress?: string;
  /** How often the other seeds' etcd peer endpoints are probed; default 5 s. */
  etcdPeerProbeIntervalMs?: number;
  port?: number;
  /** kube-apiserver's `--encryption-provider-config` for the seed's API server; default one generated in `dir`. */
  encryptionConfigFile?: string;
  /** Addresses of this host for shoots' endpoints, one per shoot placed here; none: stable loopback addresses. */
  shootAddresses?: ShootAddressPool;
  /** The TTL of the shoots' DNS records, seconds; default Gardener's 120. */
  dnsRecordTtl?: number;
  /** Caps on requests and watches in flight on the seed API (`--max-…-inflight`); unset: the defaults. */
  limits?: Partial<RequestLimits>;
  logger: Logger;
  /** Seed.spec.provider: the seed's infrastructure type and region; default `local`/`local`. */
  provider?: { type: string; region: string };
  /** The extension controllers this process runs (`--extensions`); default all of them. */
  extensions?: readonly ExtensionPackage[];
  backup?: SeedBackupConfig;
  heartbeatIntervalMs?: number;
  /** How long a flow's "Waiting until …" step waits before the flow fails and is retried. */
  waitTimeoutMs?: number;
  /** How long a deleted shoot's BackupEntry keeps its backups (Gardener's `deletionGracePeriodHours`); default 0. */
  backupEntryDeletionGracePeriodMs?: number;
  /** How long a shoot node's Lease may go unrenewed before it is Ready=Unknown; default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /**
   * The local provider's "infrastructure": where this seed puts the directories of the machines
   * it starts (default `<dir>/infrastructure`). Machines outlive the seed; a seed taking a shoot
   * over adopts its machines where the Worker's state says they are.
   */
  infrastructureDir?: string;
  /** Called around every step of the shoot flows (the crash tests' crash points). */
  flowHooks?: FlowHooks;
  /** The HA tests' replica faults (`TRANSPLANT_APISERVER_FAULT_FILE`, src/seed/runtime/apiserver-runtime.ts); none otherwise. */
  apiServerFaultFile?: string | undefined;
  /** The audit log of the seed's API server; none: no audit. */
  audit?: AuditLogConfig;
  /**
   * The audit logs of the shoots' API servers: `<dir>/<technical id>/audit.log` each, with this
   * policy and rotation; none: no audit. Outside the control-plane directories, which a
   * migration deletes: the log of a shoot that left stays with the seed that served it.
   */
  shootAudit?: { dir: string } & Omit<AuditLogConfig, 'path'>;
}

/** `transplant` itself: machines run its `node` command. */
const transplantCli = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface Seed {
  name: string;
  url: string;
  hosted: HostedApiServer;
  adminKubeconfig: string;
  garden: RestClient;
  stop(): Promise<void>;
}

const seedAdmin = { name: 'seed-admin', groups: ['system:masters'] };

function bootstrapObjects(): KubeObject[] {
  return ['default', 'kube-system', 'garden'].map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  }));
}

/**
 * A single-member etcd elects itself; a shorter election timeout than etcd's 1 s default makes a
 * new or restarted control plane ready sooner (bench/README.md, "Shoot control planes").
 */
const singleMemberEtcdArgs = ['--election-timeout=500', '--heartbeat-interval=50'];

/** The seed's API server alone: its kinds, admission and bootstrap objects, no controllers. */
export function startSeedApiServer(
  options: Pick<
    HostedApiServerOptions,
    'name' | 'dir' | 'host' | 'advertise' | 'port' | 'logger' | 'limits' | 'audit' | 'encryptionConfigFile'
  >,
): Promise<HostedApiServer> {
  return startHostedApiServer({
    ...options,
    fieldManager: 'gardenlet',
    resources: [...coreDefinitions, ...extensionDefinitions, ...druidDefinitions],
    bootstrap: bootstrapObjects(),
    admission: (client) => [new NamespaceLifecycle(client)],
    // The control planes' CAs and keys, backup credentials: every Secret.
    encryptedResources: ['secrets'],
  });
}

export async function startSeed(options: SeedOptions): Promise<Seed> {
  const { name, dir, logger } = options;
  const log = logger.child({ seed: name });
  const hosted = await startSeedApiServer({
    name,
    dir,
    host: options.listenAddress,
    ...(options.advertiseAddress ? { advertise: [options.advertiseAddress] } : {}),
    port: options.port,
    ...(options.limits ? { limits: options.limits } : {}),
    logger: log,
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.encryptionConfigFile ? { encryptionConfigFile: options.encryptionConfigFile } : {}),
  });
  const adminKubeconfig = await hosted.ensureKubeconfig(join(dir, 'seed.kubeconfig'), seedAdmin);
  // A rotated credential lands in the same file: the client reads it again on a 401.
  const garden = new RestClient(loadKubeconfig(options.gardenKubeconfig), {
    userAgent: 'gardenlet',
    reloadToken: () => loadKubeconfig(options.gardenKubeconfig).token,
  });

  const served = new ServedExtensions(options.extensions ?? EXTENSION_PACKAGES);
  if (options.backup && !served.serves(extensionId('BackupBucket', options.backup.provider))) {
    throw new Error(
      `backups of provider ${options.backup.provider} need the extension backup-${options.backup.provider} (--extensions; this seed runs ${served})`,
    );
  }
  const seedObject = await registerSeed(garden, {
    name,
    provider: options.provider ?? { type: 'local', region: 'local' },
    backup: options.backup,
  });
  const installationsHere = () =>
    garden.resource(controllerInstallationResource).list('', { fieldSelector: `spec.seedRef.name=${name}` });
  await deploySeedBackupBucket(garden, seedObject);
  const peerProbeHost = options.etcdPeerAddress ?? options.listenAddress ?? '127.0.0.1';
  const peerProbe = await startEtcdPeerProbeListener({
    seed: name,
    host: peerProbeHost,
    portFile: join(dir, 'etcd-peer-probe.json'),
  });
  const peerReachability = new EtcdPeerReachability({
    seed: name,
    garden,
    endpoint: advertisedEtcdPeerEndpoint(
      options.etcdPeerAdvertiseAddress ??
        (options.etcdPeerAddress ? undefined : options.advertiseAddress) ??
        peerProbeHost,
      peerProbe.port,
    ),
    ...(options.etcdPeerProbeIntervalMs !== undefined ? { intervalMs: options.etcdPeerProbeIntervalMs } : {}),
    onChange: () => heartbeat.requestBeat(),
    onError: (err) => log.warn({ err: (err as Error).message }, 'probing the etcd peers of other seeds failed'),
  });
  const heartbeat = new SeedHeartbeat({
    seed: name,
    garden,
    intervalMs: options.heartbeatIntervalMs,
    // As in Gardener, only a seed with backups reports BackupBucketsReady; ExtensionsReady
    // judges the seed's ControllerInstallations as this gardenlet reported them.
    conditions: async () => [
      ...(options.backup ? [await seedBackupBucketsCondition(garden, name)] : []),
      extensionsReadyCondition((await installationsHere()).items),
      ...(peerReachability.condition() ? [peerReachability.condition()!] : []),
    ],
    onError: (err) => log.warn({ err: (err as Error).message }, 'heartbeat failed'),
  });
  await heartbeat.start();
  await peerReachability.start();

  /** The seed API, as the seed's in-process controllers reach it. */
  const seedApi = hosted.client;
  /** A controller of the seed API's `resource`: the generic extension reconciler with `actuator`. */
  const extensionController = <T extends ExtensionObject>(
    name: string,
    resource: ResourceRef<T>,
    actuator: Actuator<T>,
  ) =>
    new Controller({
      name,
      source: clientListWatch(seedApi, resource),
      // Only the types of the packages this seed runs (--extensions): the rest are not served here.
      reconciler: new ExtensionReconciler({
        client: seedApi,
        resource,
        actuator,
        types: served.typesOf(resource.kind),
      }),
      logger: log,
    });
  // On the seed API server's /metrics: etcd-backup-restore's and Transplant's migration metrics.
  const backupSidecars = new BackupSidecars(log, new BackupMetrics(hosted.server.metrics));
  const migrationMetrics = new MigrationMetrics(hosted.server.metrics);
  // The garden knows nothing of the copy and the restore: the numbers go on the shoot's BackupEntry.
  const restoreProgress = new RestoreProgressReporter({ garden, logger: log });
  const copyTasks = new CopyBackupsTaskReconciler({
    client: seedApi,
    logger: log,
    onBytesCopied: (task, bytes) => {
      for (const shoot of shootKeysOf(task))
        migrationMetrics.backupBytesCopied(`${shoot.namespace}/${shoot.name}`, bytes);
    },
    onProgress: (task, progress) => {
      const entry = backupEntryOf(task, task.spec.targetStore.prefix);
      if (entry) restoreProgress.copied(entry, progress);
    },
  });
  const machines = new MachineRuntime({ executable: process.execPath, args: [transplantCli, 'node'] }, log);
  const controllers: Pick<Controller, 'start' | 'stop'>[] = [
    new Controller({
      name: 'namespace',
      source: clientListWatch(seedApi, namespaceResource),
      reconciler: new NamespaceReconciler(seedApi, () => hosted.resources),
      logger: log,
    }),
    new Controller({
      name: 'etcd-druid',
      source: clientListWatch(seedApi, etcdResource),
      reconciler: new EtcdReconciler({
        client: seedApi,
        runtimeDir: controlPlaneDir(dir),
        logger: log,
        etcdArgs: singleMemberEtcdArgs,
        sidecars: backupSidecars,
        onRestoreProgress: (etcd, progress) => {
          const entry = backupEntryOf(etcd, etcd.spec.backup.store?.prefix);
          if (entry) restoreProgress.restored(entry, progress);
        },
        // Shoot etcd members with peer TLS listen on the etcd peer address only when it is given:
        // their certificates name loopback unless the gardenlet adds that address.
        ...(options.etcdPeerAddress ? { peerAddress: options.etcdPeerAddress } : {}),
      }),
      logger: log,
    }),
    // How a copy job ended shows in its task's status, which this controller watches anyway.
    new Controller({
      name: 'etcdcopybackupstask',
      source: clientListWatch(seedApi, etcdCopyBackupsTaskResource),
      reconciler: copyTasks,
      logger: log,
    }),
    // The local provider's extension controllers: what they realise lives in the object itself;
    // DNSRecords of the internal domain's provider (rfc2136) go to its DNS server.
    extensionController(
      'dnsrecords',
      dnsRecordResource,
      byProviderType({ local: recordingActuator, [RFC2136_PROVIDER]: rfc2136DnsRecordActuator(seedApi) }),
    ),
    extensionController('infrastructures', infrastructureResource, recordingActuator),
    extensionController('controlplanes', controlPlaneResource, recordingActuator),
    // The local Worker extension: machines are node agents on this host.
    extensionController(
      'workers',
      workerResource,
      workerActuator({
        seed: seedApi,
        machines,
        infrastructureDir: options.infrastructureDir ?? join(dir, 'infrastructure'),
        nodeAgentArgs: localNodeAgentArgs,
      }),
    ),
    // The backup extension (local and s3) and the gardenlet's controllers feeding it from the garden.
    extensionController('extension-backupbuckets', extensionBackupBucketResource, backupBucketActuator(seedApi)),
    extensionController('extension-backupentries', extensionBackupEntryResource, backupEntryActuator(seedApi)),
  ];
  controllers.push(
    new Controller({
      name: 'controllerinstallation',
      source: clientListWatch(garden, controllerInstallationResource, '', {
        fieldSelector: `spec.seedRef.name=${name}`,
      }),
      reconciler: new ControllerInstallationReporter({
        seedName: name,
        garden,
        served,
        onStatusChange: () => heartbeat.requestBeat(),
      }),
      logger: log,
    }),
  );
  const backupDeps = {
    seedName: name,
    garden,
    seed: seedApi,
    onStatusChange: () => heartbeat.requestBeat(),
    backupEntryDeletionGracePeriodMs:
      options.backupEntryDeletionGracePeriodMs ?? DEFAULT_BACKUP_ENTRY_DELETION_GRACE_PERIOD_MS,
  };
  // The objects placed on this seed and those still hosted here while they move to another one
  // (a Migrate runs where `status.seedName` points after `spec.seedName` moved on).
  const placedOrHostedHere = (resource: ResourceRef) =>
    unionListWatch(
      clientListWatch(garden, resource, '', { fieldSelector: `spec.seedName=${name}` }),
      clientListWatch(garden, resource, '', { fieldSelector: `status.seedName=${name}` }),
    );
  controllers.push(
    new Controller({
      name: 'backupbucket',
      source: clientListWatch(garden, backupBucketResource, '', { fieldSelector: `spec.seedName=${name}` }),
      reconciler: new BackupBucketReconciler(backupDeps),
      logger: log,
    }),
    new Controller({
      name: 'backupentry',
      source: placedOrHostedHere(backupEntryResource),
      // A change of an extension entry (ready, migrated, gone) moves its garden entry on at once.
      watches: [watchOf(clientListWatch(seedApi, extensionBackupEntryResource), gardenBackupEntryOf)],
      reconciler: new BackupEntryReconciler(backupDeps),
      relevantState: backupEntryRelevantState,
      logger: log,
    }),
  );
  // The gardenlet's shoot controller: the shoots placed on this seed, from the garden.
  const vpnServers = new VpnServerRuntime(log);
  const { shootAudit } = options;
  const apiServers = new ApiServerRuntime(
    log,
    (shoot) => vpnServers.get(shoot),
    shootAudit ? (shoot) => ({ ...shootAudit, path: join(shootAudit.dir, shoot, 'audit.log') }) : undefined,
    options.apiServerFaultFile,
  );
  hosted.server.setMetricsPath('shoots', shootApiServerMetrics(apiServers, name, new URL(hosted.url).host));
  const probes = new ShootApiProbes();
  const controllerManagers = new ControllerManagerRuntime(name, log);
  const schedulers = new SchedulerRuntime(name, log);
  const shootReconciler = new ShootReconciler({
    seedName: name,
    garden,
    seed: hosted.client,
    apiServers,
    controllerManagers,
    schedulers,
    vpnServers,
    probes,
    runtimeDir: controlPlaneDir(dir),
    logger: log,
    waitTimeoutMs: options.waitTimeoutMs ?? 60_000,
    flowHooks: options.flowHooks,
    events: new ShootEvents(garden, name, log),
    onIncomingMigration: () => heartbeat.requestBeat(),
    ...(options.nodeMonitorGracePeriodMs !== undefined
      ? { nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriodMs }
      : {}),
    shootAddresses: options.shootAddresses,
    dnsRecordTtl: options.dnsRecordTtl,
    etcdPeerAddress: options.etcdPeerAddress,
    migrationMetrics,
  });
  const shootController = new Controller({
    name: 'shoot',
    source: placedOrHostedHere(shootResource),
    watches: [
      // A shoot's etcd that stops being ready (killed, restoring, a restore failing) wakes the
      // shoot up at once rather than at its next resync, so its status tells what is wrong.
      watchOf(clientListWatch(seedApi, etcdResource), (etcd) =>
        isEtcd(etcd) && etcdReady(etcd) ? [] : shootKeysOf(etcd),
      ),
      // A Restore waiting for its EtcdCopyBackupsTask goes on as soon as the task changes (the
      // copy finished, or an operator marked it Succeeded), not only at its next retry.
      watchOf(clientListWatch(seedApi, etcdCopyBackupsTaskResource), shootKeysOf),
    ],
    reconciler: shootReconciler,
    rateLimiter: new ItemExponentialFailureRateLimiter(shootRetryBackoff),
    retryTrigger: shootRetryTrigger,
    logger: log,
  });
  controllers.push(shootController);
  // The probes of migration preflights: as their target (the source's store) or their source (the machines).
  controllers.push(
    new Controller({
      name: 'migration-preflight',
      source: unionListWatch(
        clientListWatch(garden, migrationPreflightResource, '', { fieldSelector: `spec.seedName=${name}` }),
        clientListWatch(garden, migrationPreflightResource, '', { fieldSelector: `status.sourceSeedName=${name}` }),
      ),
      reconciler: new MigrationPreflightProber({ seedName: name, garden, probes }),
      logger: log,
    }),
  );
  for (const controller of controllers) controller.start();
  // The garden knows no snapshots: the dashboard's backup age per shoot is what this tells it.
  const backupAges = new BackupAgeReporter({
    seed: name,
    garden,
    latestSnapshot: (namespace) => {
      const latest = backupSidecars.get(`${namespace}/${ETCD_MAIN}`)?.snapshotter.health().lastSnapshot;
      return latest ? new Date(latest.createdOn * 1000) : undefined;
    },
    logger: log,
  });
  backupAges.start();
  await reportSeedReconciled(garden, name, defaultVersion.gitVersion);
  log.info({ url: hosted.url }, 'seed ready');

  return {
    name,
    url: hosted.url,
    hosted,
    adminKubeconfig,
    garden,
    async stop() {
      heartbeat.stop();
      backupAges.stop();
      peerReachability.stop();
      await peerProbe.close();
      for (const controller of controllers) controller.stop();
      await copyTasks.stop();
      await restoreProgress.stop();
      // The etcds keep running (detached); their sidecars flush what they hold and resume from
      // the store when the seed is back.
      await backupSidecars.stopAll();
      // The controller managers and schedulers first: they hand their Leases back through the API servers.
      await Promise.all([controllerManagers.stopAll(), schedulers.stopAll()]);
      await apiServers.stopAll();
      probes.closeAll();
      await vpnServers.stopAll();
      await hosted.stop();
      garden.close();
    },
  };
}
