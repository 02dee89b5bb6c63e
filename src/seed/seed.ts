/**
 * A seed: its own API server (the seed's resources: extension and druid objects, secrets,
 * namespaces of shoot control planes) and its gardenlet, which registers the seed in the garden,
 * keeps its heartbeat and reconciles the shoots placed on it.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { backupBucketResource } from '../api/core-gardener/backup-bucket.js';
import { backupEntryResource } from '../api/core-gardener/backup-entry.js';
import { shootResource } from '../api/core-gardener/shoot.js';
import { etcdReady } from '../api/druid/etcd.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';
import { NamespaceLifecycle } from '../apiserver/plugins/namespace-lifecycle.js';
import { defaultVersion } from '../apiserver/server.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { Controller } from '../controller/controller.js';
import { Informer } from '../controller/informer.js';
import { clientListWatch, storeListWatch, unionListWatch } from '../controller/list-watch.js';
import { NamespaceReconciler } from '../controller/namespace-controller.js';
import type { FlowHooks } from '../flow/flow.js';
import { type HostedApiServer, startHostedApiServer } from '../hosting/hosted-api-server.js';
import { coreDefinitions } from '../registry/core/index.js';
import { druidDefinitions } from '../registry/druid/index.js';
import { extensionDefinitions } from '../registry/extensions/index.js';
import { BackupSidecars } from './druid/backup-sidecars.js';
import { CopyBackupsTaskReconciler } from './druid/copy-backups-task-controller.js';
import { EtcdReconciler } from './druid/etcd-controller.js';
import { recordingActuator } from './extensions/actuator.js';
import { backupBucketActuator, backupEntryActuator } from './extensions/backup-actuators.js';
import { ExtensionReconciler } from './extensions/extension-controller.js';
import { localNodeAgentArgs, workerActuator } from './extensions/worker-actuator.js';
import {
  BackupBucketReconciler,
  deploySeedBackupBucket,
  seedBackupBucketsCondition,
} from './gardenlet/backup-bucket-controller.js';
import { BackupEntryReconciler } from './gardenlet/backup-entry-controller.js';
import { SeedHeartbeat } from './gardenlet/heartbeat.js';
import { registerSeed, reportSeedReconciled, type SeedBackupConfig } from './gardenlet/seed-registration.js';
import { ShootReconciler } from './gardenlet/shoot-reconciler.js';
import { ApiServerRuntime } from './runtime/apiserver-runtime.js';
import { MachineRuntime } from './runtime/machine-runtime.js';
import { VpnServerRuntime } from './runtime/vpn-server-runtime.js';

export interface SeedOptions {
  name: string;
  dir: string;
  gardenKubeconfig: string;
  host?: string;
  port?: number;
  logger: Logger;
  backup?: SeedBackupConfig;
  heartbeatIntervalMs?: number;
  /** How long a flow's "Waiting until …" step waits before the flow fails and is retried. */
  waitTimeoutMs?: number;
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

/** Where the seed keeps its shoots' control-plane data (etcd data directories). */
export function controlPlaneDir(seedDir: string): string {
  return join(seedDir, 'controlplanes');
}

export async function startSeed(options: SeedOptions): Promise<Seed> {
  const { name, dir, logger } = options;
  const log = logger.child({ seed: name });
  const hosted = await startHostedApiServer({
    name,
    dir,
    host: options.host,
    port: options.port,
    logger: log,
    resources: [...coreDefinitions, ...extensionDefinitions, ...druidDefinitions],
    bootstrap: bootstrapObjects(),
    admission: (store) => [new NamespaceLifecycle({ getNamespace: (ns) => store('', 'namespaces').find('', ns) })],
  });
  const adminKubeconfig = await hosted.ensureKubeconfig(join(dir, 'seed.kubeconfig'), seedAdmin);
  const garden = new RestClient(loadKubeconfig(options.gardenKubeconfig));

  const seedObject = await registerSeed(garden, {
    name,
    provider: { type: 'local', region: 'local' },
    backup: options.backup,
  });
  await deploySeedBackupBucket(garden, seedObject);
  const heartbeat = new SeedHeartbeat({
    seed: name,
    garden,
    intervalMs: options.heartbeatIntervalMs,
    // As in Gardener, only a seed with backups reports BackupBucketsReady.
    conditions: options.backup ? async () => [await seedBackupBucketsCondition(garden, name)] : undefined,
    onError: (err) => log.warn({ err: (err as Error).message }, 'heartbeat failed'),
  });
  await heartbeat.start();

  const controllers = [
    new Controller({
      name: 'namespace',
      source: storeListWatch(hosted.store('', 'namespaces')),
      reconciler: new NamespaceReconciler(
        hosted.store('', 'namespaces'),
        () => hosted.server.stores(),
        hosted.systemContext,
      ),
      logger: log,
    }),
  ];
  const backupSidecars = new BackupSidecars(log);
  controllers.push(
    new Controller({
      name: 'etcd-druid',
      source: storeListWatch(hosted.store('druid.gardener.cloud', 'etcds')),
      reconciler: new EtcdReconciler({
        etcds: hosted.store('druid.gardener.cloud', 'etcds'),
        secrets: hosted.store('', 'secrets'),
        ctx: hosted.systemContext,
        runtimeDir: controlPlaneDir(dir),
        logger: log,
        etcdArgs: singleMemberEtcdArgs,
        sidecars: backupSidecars,
      }),
      logger: log,
    }),
  );
  const copyTasks = new CopyBackupsTaskReconciler({
    tasks: hosted.store('druid.gardener.cloud', 'etcdcopybackupstasks'),
    secrets: hosted.store('', 'secrets'),
    ctx: hosted.systemContext,
    logger: log,
  });
  const copyTaskController = new Controller({
    name: 'etcdcopybackupstask',
    source: storeListWatch(hosted.store('druid.gardener.cloud', 'etcdcopybackupstasks')),
    reconciler: copyTasks,
    logger: log,
  });
  copyTasks.onCopyFinished = (key) => copyTaskController.enqueue(key);
  controllers.push(copyTaskController);
  // The local provider's extension controllers: what they realise lives in the object itself.
  for (const plural of ['dnsrecords', 'infrastructures', 'controlplanes']) {
    const store = hosted.store('extensions.gardener.cloud', plural);
    controllers.push(
      new Controller({
        name: plural,
        source: storeListWatch(store),
        reconciler: new ExtensionReconciler({ store, actuator: recordingActuator, ctx: hosted.systemContext }),
        logger: log,
      }),
    );
  }
  // The local Worker extension: machines are node agents on this host.
  const workers = hosted.store('extensions.gardener.cloud', 'workers');
  controllers.push(
    new Controller({
      name: 'workers',
      source: storeListWatch(workers),
      reconciler: new ExtensionReconciler({
        store: workers,
        actuator: workerActuator({
          workers,
          secrets: hosted.store('', 'secrets'),
          machines: new MachineRuntime({ executable: process.execPath, args: [transplantCli, 'node'] }, log),
          infrastructureDir: options.infrastructureDir ?? join(dir, 'infrastructure'),
          nodeAgentArgs: localNodeAgentArgs,
          ctx: hosted.systemContext,
        }),
        ctx: hosted.systemContext,
      }),
      logger: log,
    }),
  );
  // The backup extension (local and s3) and the gardenlet's controllers feeding it from the garden.
  const backupActuatorDeps = {
    secrets: hosted.store('', 'secrets'),
    namespaces: hosted.store('', 'namespaces'),
    backupEntries: hosted.store('extensions.gardener.cloud', 'backupentries'),
    ctx: hosted.systemContext,
  };
  for (const [plural, actuator] of [
    ['backupbuckets', backupBucketActuator(backupActuatorDeps)],
    ['backupentries', backupEntryActuator(backupActuatorDeps)],
  ] as const) {
    const store = hosted.store('extensions.gardener.cloud', plural);
    controllers.push(
      new Controller({
        name: `extension-${plural}`,
        source: storeListWatch(store),
        reconciler: new ExtensionReconciler({ store, actuator, ctx: hosted.systemContext }),
        logger: log,
      }),
    );
  }
  const backupDeps = {
    seedName: name,
    garden,
    seed: hosted.store,
    ctx: hosted.systemContext,
    onStatusChange: () => heartbeat.requestBeat(),
  };
  // The objects placed on this seed and those still hosted here while they move to another one
  // (a Migrate runs where `status.seedName` points after `spec.seedName` moved on).
  const placedOrHostedHere = (resource: ResourceRef) =>
    unionListWatch(
      clientListWatch(garden.resource(resource), '', { fieldSelector: `spec.seedName=${name}` }),
      clientListWatch(garden.resource(resource), '', { fieldSelector: `status.seedName=${name}` }),
    );
  const onThisSeed = { fieldSelector: `spec.seedName=${name}` };
  const backupEntryReconciler = new BackupEntryReconciler(backupDeps);
  const backupEntryController = new Controller({
    name: 'backupentry',
    source: placedOrHostedHere(backupEntryResource),
    reconciler: backupEntryReconciler,
    logger: log,
  });
  const wakeGardenBackupEntry = (extension: KubeObject) => {
    const entry = backupEntryReconciler.entryOf(extension.metadata.name ?? '');
    if (entry) backupEntryController.enqueue(entry);
  };
  const extensionBackupEntryWatcher = new Informer(
    storeListWatch(hosted.store('extensions.gardener.cloud', 'backupentries')),
    { upsert: wakeGardenBackupEntry, remove: wakeGardenBackupEntry },
  );
  controllers.push(
    new Controller({
      name: 'backupbucket',
      source: clientListWatch(garden.resource(backupBucketResource), '', onThisSeed),
      reconciler: new BackupBucketReconciler(backupDeps),
      logger: log,
    }),
    backupEntryController,
  );
  // The gardenlet's shoot controller: the shoots placed on this seed, from the garden.
  const vpnServers = new VpnServerRuntime(log);
  const apiServers = new ApiServerRuntime(log, (shoot) => vpnServers.get(shoot));
  const shootReconciler = new ShootReconciler({
    seedName: name,
    garden,
    seed: hosted.store,
    ctx: hosted.systemContext,
    apiServers,
    vpnServers,
    runtimeDir: controlPlaneDir(dir),
    logger: log,
    waitTimeoutMs: options.waitTimeoutMs ?? 60_000,
    flowHooks: options.flowHooks,
    ...(options.nodeMonitorGracePeriodMs !== undefined
      ? { nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriodMs }
      : {}),
  });
  const shootController = new Controller({
    name: 'shoot',
    source: placedOrHostedHere(shootResource),
    reconciler: shootReconciler,
    logger: log,
  });
  controllers.push(shootController);
  // A shoot's etcd that stops being ready (killed, restoring, a restore failing) wakes the shoot
  // up at once rather than at its next resync, so its status tells what is wrong.
  const etcdWatcher = new Informer(storeListWatch(hosted.store('druid.gardener.cloud', 'etcds')), {
    upsert: (etcd) => {
      if (etcdReady(etcd)) return;
      const shoot = shootReconciler.shootOf(etcd.metadata.namespace ?? '');
      if (!shoot) return;
      shootReconciler.retryNow(shoot);
      shootController.enqueue(shoot);
    },
    remove: () => undefined,
  });
  // A Restore waiting for its EtcdCopyBackupsTask goes on as soon as the task changes (the copy
  // finished, or an operator marked it Succeeded), not only at its next retry.
  const copyTaskWatcher = new Informer(storeListWatch(hosted.store('druid.gardener.cloud', 'etcdcopybackupstasks')), {
    upsert: (task) => {
      const shoot = shootReconciler.shootOf(task.metadata.namespace ?? '');
      if (!shoot) return;
      shootReconciler.retryNow(shoot);
      shootController.enqueue(shoot);
    },
    remove: () => undefined,
  });
  for (const controller of controllers) controller.start();
  etcdWatcher.start();
  copyTaskWatcher.start();
  extensionBackupEntryWatcher.start();
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
      etcdWatcher.stop();
      copyTaskWatcher.stop();
      extensionBackupEntryWatcher.stop();
      for (const controller of controllers) controller.stop();
      await copyTasks.stop();
      // The etcds keep running (detached); their sidecars flush what they hold and resume from
      // the store when the seed is back.
      await backupSidecars.stopAll();
      await apiServers.stopAll();
      await vpnServers.stopAll();
      await hosted.stop();
      garden.close();
    },
  };
}
