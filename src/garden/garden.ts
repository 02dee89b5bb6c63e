/**
 * The garden: Gardener's API server (core.gardener.cloud/v1beta1 with RBAC, on SQLite or etcd)
 * plus its controller manager, in one process. State lives in one directory: the store, the PKI,
 * the token digests and the kubeconfigs it writes for the operator and a project member.
 *
 * On etcd several replicas serve one garden (behind a load balancer); the CA and token digests
 * are then in the store, and the controllers run only in the replica holding the Lease
 * `kube-system/gardener-controller-manager-leader-election` (Gardener's controller manager's).
 * Every replica serves the API whether it leads or not.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { namespaceResource } from '../api/core/namespace.js';
import { secretResource } from '../api/core/secret.js';
import { backupBucketResource } from '../api/core-gardener/backup-bucket.js';
import { backupEntryResource } from '../api/core-gardener/backup-entry.js';
import { cloudProfileResource } from '../api/core-gardener/cloud-profile.js';
import { controllerInstallationResource } from '../api/core-gardener/controller-installation.js';
import { controllerRegistrationResource } from '../api/core-gardener/controller-registration.js';
import { liveMigrationRecord } from '../api/core-gardener/live-migration.js';
import { projectNamespace, projectResource } from '../api/core-gardener/project.js';
import { secretBindingResource } from '../api/core-gardener/secret-binding.js';
import { seedResource } from '../api/core-gardener/seed.js';
import { shootResource } from '../api/core-gardener/shoot.js';
import { shootStateResource } from '../api/core-gardener/shoot-state.js';
import type { KubeObject } from '../api/meta.js';
import { migrationPreflightResource } from '../api/migration-transplant/migration-preflight.js';
import { unchecked } from '../api/resource-ref.js';
import { credentialsBindingResource } from '../api/security-gardener/credentials-binding.js';
import type { AuditLogConfig } from '../apiserver/audit/audit-log.js';
import { NamespaceLifecycle } from '../apiserver/plugins/namespace-lifecycle.js';
import type { ApiServer, RequestLimits } from '../apiserver/server.js';
import type { Authorizer, UserInfo } from '../apiserver/types.js';
import { Controller, watchOf } from '../controller/controller.js';
import { startLeaderElection } from '../controller/leader-election.js';
import { clientListWatch } from '../controller/list-watch.js';
import { NamespaceReconciler } from '../controller/namespace-controller.js';
import { SharedInformerFactory } from '../controller/shared-informers.js';
import { type HostedApiServer, type HostedStore, startHostedApiServer } from '../hosting/hosted-api-server.js';
import { coreDefinitions } from '../registry/core/index.js';
import { gardenerDefinitions } from '../registry/core-gardener/index.js';
import { migrationTransplantDefinitions } from '../registry/migration-transplant/index.js';
import { securityGardenerDefinitions } from '../registry/security-gardener/index.js';
import { adminKubeconfigHandler } from './admin-kubeconfig-handler.js';
import { BackupReferences } from './admission/backup-references.js';
import { LiveMigrationAdmission } from './admission/live-migration.js';
import { MigrationPreflightRequester } from './admission/migration-preflight-requester.js';
import { ShootCloudProfileValidator } from './admission/shoot-cloud-profile.js';
import { ShootValidator } from './admission/shoot-validator.js';
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  operatorGroup,
  operatorUser,
  projectMemberRoleBinding,
  projectMemberUser,
} from './bootstrap-rbac.js';
import { ControllerInstallationReconciler, seedKeysOf } from './controllers/controller-installation-controller.js';
import { MigrationPreflightReconciler } from './controllers/migration-preflight-controller.js';
import { ProjectReconciler } from './controllers/project-controller.js';
import { SchedulerReconciler } from './controllers/scheduler.js';
import { SeedLifecycleReconciler } from './controllers/seed-lifecycle-controller.js';
import { ShootMigrationReconciler, shootsMovingTo } from './controllers/shoot-migration-controller.js';
import { ShootStateReconciler } from './controllers/shoot-state-controller.js';
import { dashboardSite } from './dashboard/dashboard-site.js';
import { gardenEncryptedResources } from './encrypted-resources.js';
import { gardenPreflightFacts } from './migration-preflight-facts.js';
import { SeedAuthorization, seedRestriction } from './seed-authorization.js';
import { gardenExtensionFacts } from './seed-extensions.js';
import { registerShootMetrics } from './shoot-metrics.js';

/** The Lease the garden's replicas compete for (Gardener's controller manager uses this one). */
export const gardenLeaderElectionLease = {
  namespace: 'kube-system',
  name: 'gardener-controller-manager-leader-election',
};

/** client-go's flags, in seconds. */
export interface LeaderElectionTimings {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export interface GardenOptions {
  dir: string;
  /** The address it listens on; default 127.0.0.1. */
  host?: string;
  /** Where others reach it (`HOST[:PORT]`); the first goes into the kubeconfigs it writes. */
  advertise?: readonly string[];
  /** Default SQLite in `dir`. */
  store?: HostedStore;
  /** Run the controllers only while holding the leader-election Lease (default true). */
  leaderElect?: boolean;
  leaderElection?: Partial<LeaderElectionTimings>;
  /** 0 picks a free port the first time and reuses it on later starts. */
  port?: number;
  /** Caps on requests and watches in flight on the garden API (`--max-…-inflight`); unset: the defaults. */
  limits?: Partial<RequestLimits>;
  logger: Logger;
  /** Oldest acceptable seed heartbeat for a migration destination (admission). */
  seedHeartbeatMaxAgeSeconds?: number;
  /** Whether the scheduler places shoots without spec.seedName (default true). */
  scheduler?: boolean;
  /**
   * Whether the shoot-migration controller judges the destinations of shoots being moved
   * (default true); without it a Migrate never starts.
   */
  shootMigration?: boolean;
  /**
   * Whether the controllers run at all (default true). Tests of the API alone (the fuzzer, which
   * checks that a refused request leaves the store's revision as it was) turn them off, so
   * nothing but the requests writes.
   */
  controllers?: boolean;
  /** A seed whose Lease is older than this is reported Unknown (default 40 s). */
  seedLeaseGracePeriodMs?: number;
  /**
   * Gardenlets reach only their seed's objects (SeedAuthorizer, SeedRestriction). Default true;
   * false (`--seed-authorization=false`) only for benchmarks measuring what it costs.
   */
  seedAuthorization?: boolean;
  /** kube-apiserver's `--encryption-provider-config`; default (SQLite) one generated in `dir` (docs/security.md). */
  encryptionConfigFile?: string;
  /** The audit log of the garden's API server; none: no audit. */
  audit?: AuditLogConfig;
}

export interface Garden {
  url: string;
  server: ApiServer;
  hosted: HostedApiServer;
  operatorKubeconfig: string;
  memberKubeconfig: string;
  /** This replica's leader-election identity (`<hostname>_<random>`). */
  identity: string;
  /** Whether this replica runs the controllers now. */
  readonly leading: boolean;
  stop(): Promise<void>;
}

/** The namespace of project `dev`, where the member kubeconfig's user is a project member. */
const memberNamespace = 'garden-dev';

/** Namespaces every garden has: `garden` for seeds' secrets, the seed lease namespace for heartbeats. */
function bootstrapObjects(): KubeObject[] {
  const namespace = (name: string, labels?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(labels ? { labels } : {}) },
  });
  return [
    ...['default', 'kube-system', 'garden', 'gardener-system-seed-lease'].map((name) => namespace(name)),
    // The member kubeconfig's user manages shoots in garden-dev from the first start on.
    namespace(memberNamespace, { 'gardener.cloud/role': 'project', 'project.gardener.cloud/name': 'dev' }),
    ...bootstrapClusterRoles(),
    ...bootstrapClusterRoleBindings(),
    projectMemberRoleBinding(memberNamespace, projectMemberUser),
    {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'Project',
      metadata: { name: 'dev' },
      spec: {
        namespace: memberNamespace,
        owner: { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: operatorUser },
        members: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: operatorUser, role: 'admin' },
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: projectMemberUser, role: 'admin' },
        ],
      },
    },
  ];
}

export async function startGarden(options: GardenOptions): Promise<Garden> {
  const { dir, logger } = options;
  const seedAuthorization = options.seedAuthorization === false ? undefined : new SeedAuthorization(logger);
  const hosted = await startHostedApiServer({
    name: 'garden',
    fieldManager: 'gardener-controller-manager',
    dir,
    host: options.host,
    ...(options.advertise ? { advertise: options.advertise } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.encryptionConfigFile ? { encryptionConfigFile: options.encryptionConfigFile } : {}),
    encryptedResources: gardenEncryptedResources,
    // Seeds' credentials are token digests in kube-system on either store, which only operators
    // (and system:masters) reach: they issue, rotate and revoke them (`seed-credentials.ts`).
    trustedGroups: [operatorGroup],
    tokenDigestsInStore: true,
    port: options.port,
    ...(options.limits ? { limits: options.limits } : {}),
    logger,
    ...(options.audit ? { audit: options.audit } : {}),
    resources: [
      ...coreDefinitions,
      ...gardenerDefinitions,
      ...securityGardenerDefinitions,
      ...migrationTransplantDefinitions,
    ],
    bootstrap: bootstrapObjects(),
    customHandlers: (client) => [adminKubeconfigHandler(client)],
    publicSites: [dashboardSite()],
    ...(seedAuthorization ? { authorizers: [seedAuthorization.authorizer] } : {}),
    admission: (client, authorizer) => [
      new NamespaceLifecycle(client),
      ...(seedAuthorization ? [seedRestriction(client)] : []),
      new BackupReferences({
        getSeed: (name) => client.resource(seedResource).find('', name),
        getBackupBucket: (name) => client.resource(backupBucketResource).find('', name),
        getSecret: (namespace, name) => client.resource(secretResource).find(namespace, name),
        backupEntriesOf: async (bucket) =>
          (
            await client.resource(backupEntryResource).list('', { fieldSelector: `spec.bucketName=${bucket}` })
          ).items.map((e) => `${e.metadata.namespace}/${e.metadata.name}`),
      }),
      new ShootValidator({
        seeds: { getSeed: (name) => client.resource(seedResource).find('', name) },
        liveMigrationRecord: async (namespace, name) =>
          liveMigrationRecord((await client.resource(shootStateResource).find(namespace, name)) ?? undefined),
        extensions: gardenExtensionFacts(client),
        heartbeatMaxAgeSeconds: options.seedHeartbeatMaxAgeSeconds,
        projectOf: async (namespace) =>
          (await client.resource(projectResource).list('')).items.find((p) => projectNamespace(p) === namespace),
        canBind: mayBindShoot(authorizer),
      }),
      new MigrationPreflightRequester(),
      new LiveMigrationAdmission({
        getSeed: (name) => client.resource(seedResource).find('', name),
        getShootState: (namespace, name) => client.resource(shootStateResource).find(namespace, name),
      }),
      new ShootCloudProfileValidator({
        getCloudProfile: (name) => client.resource(cloudProfileResource).find('', name),
        getSecretBinding: (namespace, name) => client.resource(secretBindingResource).find(namespace, name),
        getCredentialsBinding: (namespace, name) => client.resource(credentialsBindingResource).find(namespace, name),
      }),
    ],
  });
  const { server, client } = hosted;
  seedAuthorization?.start(server.storage);
  // Every replica serves them, from the store all replicas share.
  registerShootMetrics(server.metrics, async () => ({
    shoots: (await client.resource(shootResource).list('')).items,
    projects: (await client.resource(projectResource).list('')).items,
  }));
  // The member's kubeconfig first: the operator's is what `transplant up` waits for, and it then
  // copies both.
  const memberKubeconfig = await hosted.ensureKubeconfig(
    join(dir, 'project-member.kubeconfig'),
    { name: projectMemberUser, groups: [] },
    memberNamespace,
  );
  const operatorKubeconfig = await hosted.ensureKubeconfig(join(dir, 'garden.kubeconfig'), {
    name: operatorUser,
    groups: [operatorGroup],
  });

  /** A fresh set each time this replica starts leading, with the informer caches they share. */
  const buildControllers = (informers: SharedInformerFactory): Controller[] => [
    new Controller({
      name: 'project',
      source: clientListWatch(client, projectResource),
      reconciler: new ProjectReconciler(client),
      logger,
    }),
    new Controller({
      name: 'shootstate',
      source: clientListWatch(client, shootResource),
      reconciler: new ShootStateReconciler(client),
      logger,
    }),
    new Controller({
      name: 'seed-lifecycle',
      source: clientListWatch(client, seedResource),
      reconciler: new SeedLifecycleReconciler({
        client,
        gracePeriodMs: options.seedLeaseGracePeriodMs ?? 40_000,
        syncPeriodMs: Math.min(10_000, options.seedLeaseGracePeriodMs ?? 10_000),
      }),
      logger,
    }),
    new Controller({
      name: 'controllerregistration-seed',
      source: clientListWatch(client, seedResource),
      watches: [
        watchOf(clientListWatch(client, controllerRegistrationResource), seedKeysOf.registration),
        watchOf(clientListWatch(client, controllerInstallationResource), seedKeysOf.installation),
        watchOf(informers.source(shootResource), seedKeysOf.placed),
        watchOf(clientListWatch(client, backupBucketResource), seedKeysOf.placed),
        watchOf(informers.source(backupEntryResource), seedKeysOf.placed),
      ],
      reconciler: new ControllerInstallationReconciler({
        client,
        cache: {
          shoots: informers.lister(shootResource),
          backupEntries: informers.lister(backupEntryResource),
          synced: () => informers.syncedAll([shootResource, backupEntryResource]),
        },
        facts: gardenExtensionFacts(client),
        logger,
      }),
      logger,
    }),
    new Controller({
      name: 'migration-preflight',
      source: clientListWatch(client, migrationPreflightResource),
      reconciler: new MigrationPreflightReconciler({
        client,
        facts: gardenPreflightFacts(client, gardenExtensionFacts(client), mayBindShoot(hosted.authorizer)),
      }),
      logger,
    }),
    new Controller({
      name: 'namespace',
      source: clientListWatch(client, namespaceResource),
      reconciler: new NamespaceReconciler(client, () => hosted.resources),
      logger,
    }),
    ...(options.shootMigration === false
      ? []
      : [
          new Controller({
            name: 'shoot-migration',
            source: informers.source(unchecked(shootResource)),
            watches: [
              watchOf(informers.source(seedResource), shootsMovingTo(informers.lister(shootResource))),
              // A plain watch: the ShootStates' contents are not needed, only which shoot changed.
              watchOf(clientListWatch(client, shootStateResource), (state) => [
                { namespace: state.metadata.namespace!, name: state.metadata.name! },
              ]),
            ],
            reconciler: new ShootMigrationReconciler(client, { logger }),
            logger,
          }),
        ]),
    ...(options.scheduler === false
      ? []
      : [
          new Controller({
            name: 'scheduler',
            source: clientListWatch(client, shootResource),
            reconciler: new SchedulerReconciler({ client, logger, extensions: gardenExtensionFacts(client) }),
            logger,
          }),
        ]),
  ];
  let controllers: Controller[] = [];
  let informers: SharedInformerFactory | undefined;
  const startControllers = () => {
    informers = new SharedInformerFactory(client);
    controllers = buildControllers(informers);
    for (const controller of controllers) controller.start();
  };
  /** Stops them and waits for their reconciles under way (told to give up through their signal). */
  const stopControllers = async () => {
    const stopping = controllers;
    controllers = [];
    for (const controller of stopping) controller.stop();
    // A reconcile waiting for a cache's first list stops waiting.
    informers?.stop();
    informers = undefined;
    await Promise.all(stopping.map((controller) => controller.idle()));
  };

  const identity = `${hostname()}_${randomBytes(8).toString('hex')}`;
  const timings = {
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
    ...options.leaderElection,
  };
  const elector =
    options.leaderElect === false || options.controllers === false
      ? undefined
      : startLeaderElection({
          client,
          ...gardenLeaderElectionLease,
          identity,
          leaseDurationMs: timings.leaseDurationSeconds * 1000,
          renewDeadlineMs: timings.renewDeadlineSeconds * 1000,
          retryPeriodMs: timings.retryPeriodSeconds * 1000,
          onStartedLeading() {
            // `leaderSince`/`leaderUntil` (ms) let tests check that no two replicas ever lead at once.
            logger.info({ identity, leaderSince: Date.now() }, 'garden controllers started: leading');
            startControllers();
          },
          async onStoppedLeading() {
            await stopControllers();
            logger.info({ identity, leaderUntil: Date.now() }, 'garden controllers stopped: not leading');
          },
          onError: (err) => logger.warn({ err, identity }, 'leader election attempt failed'),
        });
  if (!elector && options.controllers !== false) startControllers();

  return {
    url: hosted.url,
    server,
    hosted,
    operatorKubeconfig,
    memberKubeconfig,
    identity,
    get leading() {
      return elector ? elector.leading : true;
    },
    async stop() {
      if (elector) await elector.stop();
      else await stopControllers();
      seedAuthorization?.stop();
      await hosted.stop();
    },
  };
}

/** Whether a user may update shoots/binding of a shoot: what the binding admission and the preflight ask. */
function mayBindShoot(authorizer: Authorizer): (user: UserInfo, namespace: string, name: string) => Promise<boolean> {
  return async (user, namespace, name) => {
    const result = await authorizer.authorize({
      user,
      verb: 'update',
      resourceRequest: true,
      apiGroup: 'core.gardener.cloud',
      apiVersion: 'v1beta1',
      namespace,
      resource: 'shoots',
      subresource: 'binding',
      name,
      path: '',
    });
    return result.decision === 'allow';
  };
}
