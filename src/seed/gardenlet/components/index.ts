/**
 * A shoot's components on this seed (Gardener's `Shoot.Components`): built once per flow run
 * from the shoot and the seed's clients and runtimes, then called by the flows' steps
 * (src/seed/gardenlet/shoot-flows.ts). docs/flow-steps.md lists which step calls which method.
 */
import type { Logger } from 'pino';
import { type Seed, seedResource } from '../../../api/core-gardener/seed.js';
import type { Shoot } from '../../../api/core-gardener/shoot.js';
import type { ExtensionObject } from '../../../api/extensions/common.js';
import type { ControlPlane } from '../../../api/extensions/control-plane.js';
import { DEFAULT_DNS_RECORD_TTL, type DNSRecord } from '../../../api/extensions/dns-record.js';
import type { Infrastructure } from '../../../api/extensions/infrastructure.js';
import type { Worker } from '../../../api/extensions/worker.js';
import type { Client } from '../../../client/client.js';
import { technicalId } from '../../../shoot/identity.js';
import type { ApiServerRuntime } from '../../runtime/apiserver-runtime.js';
import type { ControllerManagerRuntime } from '../../runtime/controller-manager-runtime.js';
import type { SchedulerRuntime } from '../../runtime/scheduler-runtime.js';
import type { VpnServerRuntime } from '../../runtime/vpn-server-runtime.js';
import type { ShootAddressPool } from '../shoot-address-pool.js';
import type { ShootApiProbes } from '../shoot-api-probe.js';
import type { ShootPlacement } from '../shoot-placement.js';
import { BackupEntry } from './backup-entry.js';
import type { ComponentContext } from './context.js';
import { controlPlane } from './control-plane.js';
import { DestinationSeed } from './destination-seed.js';
import { internalDnsRecord } from './dns-record.js';
import { EndpointSwitch } from './endpoint-switch.js';
import { EtcdMain } from './etcd.js';
import { EtcdCopyBackupsTask } from './etcd-copy-backups-task.js';
import { Extension, type ExtensionKind } from './extension.js';
import { AllExtensions } from './extensions.js';
import { ControlPlaneHibernation } from './hibernation.js';
import { infrastructure } from './infrastructure.js';
import { KubeApiServer } from './kube-apiserver.js';
import { KubeControllerManager } from './kube-controller-manager.js';
import { KubeScheduler } from './kube-scheduler.js';
import { LiveEtcd } from './live-etcd.js';
import { LiveMigrationProgress } from './live-migration.js';
import { ShootNamespace } from './namespace.js';
import { etcdCertificateHosts, SecretsManager } from './secrets.js';
import { ShootStateComponent } from './shoot-state.js';
import { SourceBackupEntry } from './source-backup-entry.js';
import { VpnSeedServer } from './vpn-seed-server.js';
import { worker } from './worker.js';
import { WorkerConnectivity } from './worker-connectivity.js';

/** What this seed gives every shoot's components. */
export interface SeedRuntime {
  seedName: string;
  garden: Client;
  seed: Client;
  apiServers: ApiServerRuntime;
  controllerManagers: ControllerManagerRuntime;
  schedulers: SchedulerRuntime;
  vpnServers: VpnServerRuntime;
  /** The gardenlet's looks into the shoots' API servers, one per shoot (kept across flows). */
  probes: ShootApiProbes;
  /** Where control-plane data lives on this seed (etcd data dirs). */
  runtimeDir: string;
  logger: Logger;
  /** How long a "Waiting until …" step waits before it fails (and the flow retries later). */
  waitTimeoutMs: number;
  /** The shoot API servers' node monitor grace period (default 40 s). */
  nodeMonitorGracePeriodMs?: number | undefined;
  /** Addresses of this seed's host for shoots' endpoints (`--shoot-addresses`); none: stable loopback addresses. */
  shootAddresses?: ShootAddressPool | undefined;
  /** The TTL of the shoots' DNS records, seconds (Gardener's default 120). */
  dnsRecordTtl?: number | undefined;
  /** Where this seed's etcd members listen for peers (`--etcd-peer-address`); none: loopback. */
  etcdPeerAddress?: string | undefined;
}

export interface ShootComponents {
  readonly context: ComponentContext;
  readonly namespace: ShootNamespace;
  readonly secrets: SecretsManager;
  readonly shootState: ShootStateComponent;
  readonly infrastructure: Extension<Infrastructure>;
  readonly internalDnsRecord: Extension<DNSRecord>;
  readonly controlPlane: Extension<ControlPlane>;
  readonly worker: Extension<Worker>;
  readonly extensions: AllExtensions;
  readonly backupEntry: BackupEntry;
  readonly sourceBackupEntry: SourceBackupEntry;
  readonly etcdCopyBackupsTask: EtcdCopyBackupsTask;
  readonly etcdMain: EtcdMain;
  readonly kubeApiServer: KubeApiServer;
  readonly kubeControllerManager: KubeControllerManager;
  readonly kubeScheduler: KubeScheduler;
  readonly vpnSeedServer: VpnSeedServer;
  readonly workerConnectivity: WorkerConnectivity;
  readonly destinationSeed: DestinationSeed;
  readonly hibernation: ControlPlaneHibernation;
  /** A live migration's record in the ShootState (docs/live-migration.md). */
  readonly liveMigration: LiveMigrationProgress;
  readonly liveEtcd: LiveEtcd;
  readonly endpointSwitch: EndpointSwitch;
}

/** The components of `shoot` on this seed, reached where `placement` says (src/seed/gardenlet/shoot-placement.ts). */
export function shootComponents(shoot: Shoot, seed: SeedRuntime, placement: ShootPlacement): ShootComponents {
  let seedObject: Promise<Seed> | undefined;
  const context: ComponentContext = {
    shoot,
    namespace: technicalId(shoot),
    seedName: seed.seedName,
    garden: seed.garden,
    seed: seed.seed,
    endpoint: placement.endpoint,
    internalDomain: placement.internalDomain,
    dnsRecordTtl: seed.dnsRecordTtl ?? DEFAULT_DNS_RECORD_TTL,
    etcdHosts: etcdCertificateHosts(seed.etcdPeerAddress),
    seedObject: () => {
      seedObject ??= seed.garden.resource(seedResource).get('', seed.seedName);
      return seedObject;
    },
    waitTimeoutMs: seed.waitTimeoutMs,
    logger: seed.logger,
  };
  const shootState = new ShootStateComponent(context);
  const secrets = new SecretsManager(context, shootState);
  const extension = <T extends ExtensionObject>(kind: ExtensionKind<T>) => new Extension(context, kind, shootState);
  const extensions = {
    infrastructure: extension(infrastructure),
    internalDnsRecord: extension(internalDnsRecord),
    controlPlane: extension(controlPlane),
    worker: extension(worker),
  };
  const all = Object.values(extensions);
  shootState.keepStateOf(all);
  const backupEntry = new BackupEntry(context);
  const etcdMain = new EtcdMain(context, backupEntry, secrets);
  const liveMigration = new LiveMigrationProgress(context);
  const kubeApiServer = new KubeApiServer(context, {
    runtime: seed.apiServers,
    probes: seed.probes,
    secrets,
    etcd: etcdMain,
    ...(seed.nodeMonitorGracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs: seed.nodeMonitorGracePeriodMs } : {}),
  });
  const liveEtcd = new LiveEtcd(context, { progress: liveMigration, etcdMain, secrets, kubeApiServer });
  const sourceBackupEntry = new SourceBackupEntry(context, {
    backupEntry,
    etcdRevision: (ctx) => liveEtcd.currentRevision(ctx),
  });
  const kubeControllerManager = new KubeControllerManager(context, seed.controllerManagers, secrets);
  const kubeScheduler = new KubeScheduler(context, seed.schedulers, secrets);
  const vpnSeedServer = new VpnSeedServer(context, seed.vpnServers, secrets);
  return {
    context,
    namespace: new ShootNamespace(context, seed.runtimeDir),
    secrets,
    shootState,
    ...extensions,
    extensions: new AllExtensions(context, all),
    backupEntry,
    sourceBackupEntry,
    etcdCopyBackupsTask: new EtcdCopyBackupsTask(context, backupEntry, sourceBackupEntry),
    etcdMain,
    kubeApiServer,
    kubeControllerManager,
    kubeScheduler,
    vpnSeedServer,
    workerConnectivity: new WorkerConnectivity(context, secrets, kubeApiServer),
    destinationSeed: new DestinationSeed(context),
    hibernation: new ControlPlaneHibernation({
      kubeControllerManager,
      kubeScheduler,
      kubeApiServer,
      vpnSeedServer,
      etcdMain,
    }),
    liveMigration,
    liveEtcd,
    endpointSwitch: new EndpointSwitch(context, {
      kubeApiServer,
      progress: liveMigration,
      dnsRecord: extensions.internalDnsRecord,
    }),
  };
}
