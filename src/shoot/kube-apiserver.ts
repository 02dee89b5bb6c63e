/**
 * A shoot's kube-apiserver, in the seed's process (one per hosted shoot, several per process):
 * the generic API server over the shoot's own etcd, keys `/registry/...` with resourceVersion =
 * etcd mod revision, secrets encrypted at rest with the shoot's `etcd-encryption-key`.
 *
 * - TLS: the serving certificate from the shoot's `ca`, on the shoot's stable address.
 * - Authentication: client certificates signed by `ca-client` (CN user, O groups), then the
 *   static token (Gardener's `system:cluster-admin` in `system:masters`).
 * - Authorization: `system:masters`, then RBAC over the shoot's own Role/ClusterRole/…Binding.
 * - Nodes: `nodes/<name>/proxy/<path>` goes to the node through the shoot's VPN tunnel.
 * - Resources: every built-in API of Kubernetes 1.31 (src/registry/builtin), with the reviews
 *   of authentication.k8s.io and authorization.k8s.io, and the APIs of its
 *   CustomResourceDefinitions (crd-controller.ts), served from the stored CRDs before the
 *   first request and as they change.
 * - Admission: NamespaceLifecycle, NodeRestriction (a node changes only its own Node and Lease),
 *   the Services' cluster IP and node port allocator; the node lifecycle controller marks nodes
 *   whose Lease expired Ready=Unknown. Deleted namespaces are emptied by the shoot's
 *   kube-controller-manager (src/shoot/controller-manager/namespace-controller.ts), as in Kubernetes.
 * - Bootstrap: system namespaces and `cluster-admin`, created when missing. The etcd outlives
 *   any one server (restarts, and other seeds after a migration), so nothing is overwritten.
 *
 * `stop()` drains the server (the listener closed, watches ended, each connection closed after the
 * answer under way on it, for up to `drainGraceMs`), then fences the store (no request of this
 * server reaches etcd any more, and the ones under way have settled), closes what is left, and
 * the etcd client.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { crdResource } from '../api/apiextensions/crd.js';
import { selfSubjectAccessReviewHandler } from '../apiserver/access-review-handler.js';
import { type AuditLogConfig, openAuditLog } from '../apiserver/audit/audit-log.js';
import { ClientCertificateAuthenticator } from '../apiserver/authn/client-certificate-authenticator.js';
import { TokenAuthenticator } from '../apiserver/authn/token-authenticator.js';
import { hashToken } from '../apiserver/authn/token-file.js';
import { UnionAuthenticator } from '../apiserver/authn/union-authenticator.js';
import { RbacAuthorizer } from '../apiserver/authz/rbac-authorizer.js';
import { InMemoryRbacSource } from '../apiserver/authz/rbac-source.js';
import { SuperuserAuthorizer, superuserGroup } from '../apiserver/authz/superuser-authorizer.js';
import { UnionAuthorizer } from '../apiserver/authz/union-authorizer.js';
import { InProcessClient } from '../apiserver/in-process-client.js';
import { NamespaceLifecycle } from '../apiserver/plugins/namespace-lifecycle.js';
import type { RequestContext } from '../apiserver/registry/generic-store.js';
import {
  localSubjectAccessReviewHandler,
  selfSubjectReviewHandler,
  selfSubjectRulesReviewHandler,
  subjectAccessReviewHandler,
  tokenReviewHandler,
} from '../apiserver/review-handlers.js';
import { ApiServer, versionInfo } from '../apiserver/server.js';
import type { UserInfo } from '../apiserver/types.js';
import { Controller } from '../controller/controller.js';
import { clientListWatch } from '../controller/list-watch.js';
import { createBootstrapObjects, startRbacInformers } from '../hosting/hosted-api-server.js';
import { builtinHandlers } from '../registry/builtin/index.js';
import { ServiceAllocator } from '../registry/builtin/service-ip-allocator.js';
import { namedEncryptionKey } from '../storage/encryption/aes-gcm-envelope.js';
import { EncryptingStorage } from '../storage/encryption/encrypting-storage.js';
import { openEtcdStore } from '../storage/etcd/etcd-store.js';
import type { ReleaseReads } from '../storage/etcd/read-gate.js';
import { writeApiServerEndpoints } from './apiserver-endpoints.js';
import { CrdReconciler, installStoredCrds } from './crd-controller.js';
import { FencedStorage } from './fenced-storage.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { nodeProxyHandler } from './node-proxy-handler.js';
import { NodeRestriction } from './node-restriction.js';
import {
  encryptedKeyPrefixes,
  reconciledClusterRole,
  shootApiDefinitions,
  shootBootstrapObjects,
  staticTokenUser,
} from './shoot-api.js';
import type { NodeTunnels } from './vpn/vpn-seed-server.js';

export interface ShootApiServerOptions {
  /** The shoot's technical id, e.g. `shoot--dev--my-shoot` (logs, errors). */
  name: string;
  /** The shoot's etcd; `tls` is the client side: the etcd CA and the client certificate. */
  etcd: { endpoints: string[]; tls?: { caPem: string; certPem: string; keyPem: string } };
  /** Serving certificate and key (signed by the shoot's `ca`; SANs include `host`). */
  serving: { certPem: string; keyPem: string };
  /** The shoot's `ca-client`: client certificates it signed authenticate. */
  clientCaPem: string;
  /** Bearer token of `system:cluster-admin` (group `system:masters`). */
  staticToken: string;
  /** Base64 of the 32-byte AES key secrets are encrypted with. */
  encryptionKeyBase64: string;
  /** The shoot's stable address, e.g. 127.64.3.9 (any 127/8 address binds on Linux). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * The port clients reach this server on, in the `kubernetes` Endpoints, when it is not `port`:
   * a replica behind the shoot's endpoint (src/seed/runtime/apiserver-replicas.ts).
   */
  advertisedPort?: number;
  logger: Logger;
  /** How long a node's Lease may go unrenewed before its Ready condition is Unknown; default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** The shoot's vpn-seed-server, if one runs now: how `nodes/<name>/proxy` reaches the nodes. */
  nodeTunnels?: () => NodeTunnels | undefined;
  /** The audit log of every request to the shoot's API; none: no audit. */
  audit?: AuditLogConfig;
  /** What /version reports: the shoot's `spec.kubernetes.version` (`1.36.0`); default the generic server's. */
  kubernetesVersion?: string;
  /**
   * Start serving from etcd but do not listen yet (`expose` binds the address later): the
   * destination of a live migration is ready before the source lets go of the shoot's address.
   */
  deferListen?: boolean;
}

export interface ShootApiServer {
  /** `https://<host>:<port>` (the port is the configured one until an unexposed server listens). */
  url: string;
  server: ApiServer;
  /** It listens on its address. */
  readonly exposed: boolean;
  /**
   * Binds its address (a live migration's handover: the source is about to let go of it, so an
   * address in use is tried again every `retryMs` until `signal` ends the attempts), then writes
   * the `default/kubernetes` endpoints. A listening server stays as it is.
   */
  expose(options?: { retryMs?: number; signal?: AbortSignal }): Promise<void>;
  /**
   * Stops accepting connections; the open ones are served on (a live migration closes them once
   * the destination listens, so that clients reconnect there at once).
   */
  stopListening(): void;
  /**
   * Keeps its etcd reads back, once those under way have ended, until the release: while an etcd
   * member is removed from a cluster of two voters (src/storage/etcd/read-gate.ts).
   */
  holdEtcdReads(): Promise<ReleaseReads>;
  /** Stops serving: afterwards connections are refused and no write of this server reaches etcd. */
  stop(): Promise<void>;
}

/**
 * The identity this server's own bootstrap and controllers act as (k8s's loopback client), and
 * the manager their writes are recorded for in managedFields.
 */
/**
 * How long a stopping server lets its requests under way finish. kube-apiserver gives 60 s; a
 * shoot's requests take milliseconds, and a classic migration's downtime includes this wait.
 */
const drainGraceMs = 2_000;

const systemContext: RequestContext = {
  user: { name: 'system:apiserver', groups: [superuserGroup] },
  dryRun: false,
  fieldManager: 'kube-apiserver',
};

export async function startShootApiServer(options: ShootApiServerOptions): Promise<ShootApiServer> {
  const { name, logger } = options;
  if (!options.staticToken) throw new TypeError(`shoot ${name}: the static token must not be empty`);
  // A bad key fails here, before anything is opened.
  const encryptionKey = namedEncryptionKey(options.encryptionKeyBase64);
  const audit = options.audit
    ? await openAuditLog(options.audit, (err) => logger.error({ err }, 'audit log write failed'))
    : undefined;
  const etcd = await openEtcdStore({ endpoints: options.etcd.endpoints, tls: options.etcd.tls }).catch(async (err) => {
    await audit?.close();
    throw err;
  });
  const storage = new FencedStorage(
    new EncryptingStorage(etcd, { keys: [encryptionKey], prefixes: encryptedKeyPrefixes }),
  );

  const authenticator = new UnionAuthenticator(
    new ClientCertificateAuthenticator(),
    new TokenAuthenticator([
      { sha256: hashToken(options.staticToken), user: { ...staticTokenUser, groups: [...staticTokenUser.groups] } },
    ]),
  );
  const rbac = new InMemoryRbacSource();
  const rbacAuthorizer = new RbacAuthorizer(rbac);
  const authorizer = new UnionAuthorizer(new SuperuserAuthorizer(), rbacAuthorizer);
  const everything = [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    { verbs: ['*'], nonResourceURLs: ['*'] },
  ];
  const rulesFor = (user: UserInfo, namespace: string) =>
    user.groups.includes(superuserGroup) ? everything : rbacAuthorizer.rulesFor(user, namespace);
  const client = new InProcessClient((group, plural) => apiServer.store(group, plural), systemContext);
  const apiServer: ApiServer = new ApiServer({
    resources: shootApiDefinitions,
    storage,
    // The shoot's kube-controller-manager collects garbage: deletes honour their propagationPolicy.
    garbageCollected: true,
    admission: [
      new NamespaceLifecycle(client),
      new NodeRestriction(),
      new ServiceAllocator({ listServices: async () => (await apiServer.store('', 'services').list('', {})).items }),
    ],
    authenticator,
    authorizer,
    tls: { certPem: options.serving.certPem, keyPem: options.serving.keyPem, clientCaPem: options.clientCaPem },
    host: options.host,
    port: options.port,
    customHandlers: [
      selfSubjectAccessReviewHandler(authorizer),
      subjectAccessReviewHandler(authorizer),
      localSubjectAccessReviewHandler(authorizer),
      selfSubjectReviewHandler,
      selfSubjectRulesReviewHandler(rulesFor),
      tokenReviewHandler(authenticator),
      nodeProxyHandler(client, options.nodeTunnels ?? (() => undefined)),
      ...builtinHandlers,
    ],
    logger,
    ...(audit ? { audit: audit.auditor } : {}),
    version: versionInfo(options.kubernetesVersion),
  });

  let informers: { stop(): void } | undefined;
  let crds: Controller | undefined;
  let nodeLifecycle: NodeLifecycleController | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Answers before the fence: a request under way completes instead of being cut (at a live
      // migration's endpoint switch its client's next request goes to the destination, which
      // serves the same etcd cluster; for the classic migration it is written before the final
      // snapshot, which follows this stop).
      await apiServer.drain(drainGraceMs);
      await storage.fence();
      // Connections close right after the fence: a client's next request goes to the server that
      // now has the address (a live migration) instead of meeting this fenced one meanwhile.
      await apiServer.stop().catch(() => {});
      crds?.stop();
      await nodeLifecycle?.stop();
      informers?.stop();
      await audit?.close();
      await storage.close();
    })();
    return stopping;
  };

  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  let url = `https://${hostInUrl}:${options.port}`;
  let exposed = false;
  const listen = async () => {
    const address = await apiServer.start();
    url = `https://${hostInUrl}:${address.port}`;
    exposed = true;
    await writeApiServerEndpoints(client, options.host, options.advertisedPort ?? address.port);
  };
  try {
    await createBootstrapObjects(apiServer, shootBootstrapObjects(), systemContext);
    await reconcileBootstrapRoles(apiServer, systemContext);
    informers = await startRbacInformers(client, rbac);
    await installStoredCrds(client, apiServer, logger);
    if (!options.deferListen) await listen();
    crds = new Controller({
      name: 'customresourcedefinition',
      source: clientListWatch(client, crdResource),
      reconciler: new CrdReconciler(client, apiServer, logger),
      logger,
    });
    crds.start();
    nodeLifecycle = new NodeLifecycleController({
      client,
      logger,
      ...(options.nodeMonitorGracePeriodMs !== undefined ? { gracePeriodMs: options.nodeMonitorGracePeriodMs } : {}),
    });
    nodeLifecycle.start();
  } catch (err) {
    crds?.stop();
    await nodeLifecycle?.stop();
    informers?.stop();
    await audit?.close();
    await storage.close();
    throw err;
  }
  logger.info({ url, etcd: options.etcd.endpoints, exposed }, `kube-apiserver of ${name} started`);

  return {
    get url() {
      return url;
    },
    server: apiServer,
    get exposed() {
      return exposed;
    },
    async expose(retry = {}) {
      if (exposed) return;
      const { attempts, waitedMs } = await listenWhenFree(listen, retry);
      logger.info({ url, attempts, waitedMs }, `kube-apiserver of ${name} listens`);
    },
    stopListening() {
      apiServer.stopListening();
      logger.info({ url }, `kube-apiserver of ${name} stopped listening`);
    },
    holdEtcdReads: () => etcd.holdReads(),
    async stop() {
      await stop();
      logger.info({ url }, `kube-apiserver of ${name} stopped`);
    },
  };
}

/**
 * `listen()` until it does not fail with `EADDRINUSE` (the other seed's server still holds the
 * shoot's address in a live migration's endpoint switch): tried again every `retryMs` until
 * `signal` ends the attempts. Shared by a single server's and the replicas' proxy's `expose`.
 */
export async function listenWhenFree(
  listen: () => Promise<unknown>,
  { retryMs = 5, signal }: { retryMs?: number; signal?: AbortSignal } = {},
): Promise<{ attempts: number; waitedMs: number }> {
  const since = Date.now();
  for (let attempts = 1; ; attempts++) {
    try {
      await listen();
      return { attempts, waitedMs: Date.now() - since };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || signal?.aborted) throw err;
      await sleep(retryMs);
    }
  }
}

/** The default ClusterRoles a shoot stored under an earlier version get the rules this one adds. */
async function reconcileBootstrapRoles(apiServer: ApiServer, ctx: RequestContext): Promise<void> {
  const roles = apiServer.storeForKind('rbac.authorization.k8s.io', 'ClusterRole');
  for (const wanted of shootBootstrapObjects().filter((obj) => obj.kind === 'ClusterRole')) {
    const stored = await roles.get('', wanted.metadata.name ?? '');
    const next = reconciledClusterRole(stored, wanted);
    if (next) await roles.update('', wanted.metadata.name ?? '', '', next, ctx);
  }
}
