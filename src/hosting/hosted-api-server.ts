/**
 * An API server that lives in a state directory: the garden's and each seed's. The directory
 * keeps its SQLite store, its PKI (CA generated once, never replaced), the digests of its bearer
 * tokens, and its port (reused on restart so kubeconfigs stay valid). Authorization is RBAC over
 * the server's own Role/ClusterRole/…Binding objects, plus `system:masters`.
 *
 * On an etcd store several replicas may serve one API (the garden behind a load balancer): then
 * the CA and the token digests live in the store (`shared-ca.ts`, `token-digests.ts`), each
 * replica issues its own serving certificate from that CA, and only the port stays in the
 * directory.
 *
 * It lives above the generic server (src/apiserver), as k8s's `pkg/controlplane` assembles
 * k8s.io/apiserver with `pkg/registry`: it picks a storage backend, the RBAC kinds' definitions
 * and the informers feeding the authorizer, none of which the generic server may know about.
 */
import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../api/meta.js';
import {
  clusterRoleBindingResource,
  clusterRoleResource,
  roleBindingResource,
  roleResource,
} from '../api/rbac/resources.js';
import type { RbacKind } from '../api/rbac/types.js';
import type { ResourceRef } from '../api/resource-ref.js';
import { selfSubjectAccessReviewHandler } from '../apiserver/access-review-handler.js';
import { type AuditLogConfig, openAuditLog } from '../apiserver/audit/audit-log.js';
import { TokenAuthenticator } from '../apiserver/authn/token-authenticator.js';
import { hashToken, issueToken, readTokenFile, revokeTokens, type TokenUser } from '../apiserver/authn/token-file.js';
import { UnionAuthenticator } from '../apiserver/authn/union-authenticator.js';
import { RbacAuthorizer } from '../apiserver/authz/rbac-authorizer.js';
import { InMemoryRbacSource } from '../apiserver/authz/rbac-source.js';
import { SuperuserAuthorizer } from '../apiserver/authz/superuser-authorizer.js';
import { UnionAuthorizer } from '../apiserver/authz/union-authorizer.js';
import { InProcessClient, type StoreLookup } from '../apiserver/in-process-client.js';
import { buildKubeconfig, writeKubeconfig } from '../apiserver/kubeconfig.js';
import { writeFileAtomic } from '../apiserver/pki/atomic-file.js';
import type { CertificateAndKey } from '../apiserver/pki/certificates.js';
import { ensureServingPki, issueServingCertificate } from '../apiserver/pki/serving-pki.js';
import type { RequestContext } from '../apiserver/registry/generic-store.js';
import { ApiServer, type CustomHandler, type PublicSite, type RequestLimits } from '../apiserver/server.js';
import type { AdmissionPlugin, Authenticator, Authorizer, ResourceDefinition, UserInfo } from '../apiserver/types.js';
import type { Client } from '../client/client.js';
import { Informer } from '../controller/informer.js';
import { clientListWatch } from '../controller/list-watch.js';
import { rbacDefinitions } from '../registry/rbac/index.js';
import { groupResourceName } from '../storage/encryption/encryption-config.js';
import { EncryptionConfigError } from '../storage/encryption/encryption-config-error.js';
import { openEtcdStore } from '../storage/etcd/etcd-store.js';
import type { Storage } from '../storage/interface.js';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import {
  ENCRYPTION_CONFIG_FILE,
  encryptedStorage,
  ensureEncryptionConfigFile,
  readEncryptionConfigFile,
} from './encryption-config-file.js';
import { type MetricsReaderFiles, metricsReaderFiles, metricsReaderRbac, metricsReaderUser } from './metrics-reader.js';
import { ensureSharedCa } from './shared-ca.js';
import { SharedStateGuard } from './shared-state-guard.js';
import { issueStoredToken, StoredTokenDigests, tokenIsStored } from './token-digests.js';

export type { StoreLookup } from '../apiserver/in-process-client.js';

/** Where the server keeps its objects: a SQLite file in its directory, or an etcd cluster. */
export type HostedStore =
  | { kind: 'sqlite' }
  | {
      kind: 'etcd';
      /** Client URLs of the members. */
      endpoints: readonly string[];
      /** The members' CA and the client certificate to present. */
      tls?: { caPem: string; certPem?: string; keyPem?: string };
      /** Prepended to every key (several APIs on one cluster), e.g. `/garden`. */
      prefix?: string;
    };

export interface HostedApiServerOptions {
  /** Names the CA and the kubeconfig clusters, e.g. "garden" or "seed-a". */
  name: string;
  /** The manager the in-process controllers' writes are recorded for (managedFields), e.g. "gardenlet". */
  fieldManager: string;
  dir: string;
  /** The address the server listens on; default 127.0.0.1. */
  host?: string | undefined;
  /**
   * Where others reach it, `HOST` or `HOST:PORT` (`[V6]:PORT`); the first goes into the
   * kubeconfigs it writes, all go into its serving certificate. Default: the listen address.
   */
  advertise?: readonly string[];
  /** Default SQLite in the directory. */
  store?: HostedStore;
  /**
   * On an etcd store: the groups besides `system:masters` that may reach kube-system, where the
   * replicas' shared CA and token digests live (`SharedStateGuard`); everyone else is denied there.
   */
  trustedGroups?: readonly string[];
  /**
   * Bearer-token digests are also taken from Secrets of type `transplant.io/token-digest` in
   * kube-system (`token-digests.ts`; always on an etcd store), as the garden keeps its seeds'
   * credentials on either store; kube-system is then guarded as on etcd (`trustedGroups`).
   */
  tokenDigestsInStore?: boolean;
  /** 0 picks a free port the first time and reuses it later. */
  port?: number;
  logger: Logger;
  /** Kinds besides the RBAC kinds, which every hosted server serves. */
  resources: readonly ResourceDefinition[];
  /**
   * Admission plugins and custom handlers are built before the server exists; `client` (the
   * in-process client as the system user) reads other objects once it serves.
   */
  admission?: (client: Client, authorizer: Authorizer) => AdmissionPlugin[];
  customHandlers?: (client: Client, authorizer: Authorizer) => CustomHandler[];
  /** Page shells served to anyone before authentication (the garden's dashboard); they serve no data. */
  publicSites?: readonly PublicSite[];
  /** Objects created on every start when missing (namespaces, roles, bindings…), in order. */
  bootstrap?: readonly KubeObject[];
  /** Authorizers asked after `system:masters` and before RBAC (the garden's SeedAuthorizer). */
  authorizers?: readonly Authorizer[];
  /**
   * kube-apiserver's `--encryption-provider-config`. Default on SQLite: DIR/encryption-config.yaml,
   * generated once encrypting `encryptedResources`; an etcd store needs it (every replica the same).
   */
  encryptionConfigFile?: string;
  /** What a generated encryption config encrypts (`secrets`, `shootstates.core.gardener.cloud`). */
  encryptedResources?: readonly string[];
  /** The audit log of every request; none: no audit. */
  audit?: AuditLogConfig;
  /** Caps on requests and watches in flight (the `--max-…-inflight` flags); unset: the defaults. */
  limits?: Partial<RequestLimits>;
}

export interface HostedApiServer {
  server: ApiServer;
  /** The advertised URL (the one in its kubeconfigs). */
  url: string;
  /** The URL of its own listener. */
  listenUrl: string;
  caPem: string;
  authorizer: Authorizer;
  /** The identity in-process controllers act as (a superuser). */
  systemContext: RequestContext;
  /** Finds a store of the server (admission plugins get it before the server exists; controllers use `client`). */
  store: StoreLookup;
  /** The server's objects for in-process controllers, as the system user. */
  client: InProcessClient;
  /** Every resource the server serves (the namespace controller empties namespaces of them all). */
  resources: readonly ResourceRef[];
  /** The token and CA files of the identity that may only read `/metrics` (metrics-reader.ts). */
  metricsReader: MetricsReaderFiles;
  /** Writes a token kubeconfig for `user` unless a valid one exists; returns its path. */
  ensureKubeconfig(path: string, user: { name: string; groups: string[] }, namespace?: string): Promise<string>;
  stop(): Promise<void>;
}

const rbacKinds: [RbacKind, ResourceRef][] = [
  ['Role', roleResource],
  ['ClusterRole', clusterRoleResource],
  ['RoleBinding', roleBindingResource],
  ['ClusterRoleBinding', clusterRoleBindingResource],
];

export async function startHostedApiServer(options: HostedApiServerOptions): Promise<HostedApiServer> {
  const { dir, logger, name } = options;
  const host = options.host ?? '127.0.0.1';
  const advertised = (options.advertise?.length ? options.advertise : [host]).map(parseHostPort);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const state = await readState(dir);
  const storeOptions = options.store ?? { kind: 'sqlite' };
  const resources = [...options.resources, ...rbacDefinitions];
  // A bad config fails here, before the store is opened.
  const encryptionConfigFile = await encryptionConfigOf(options, storeOptions.kind);
  const encryptionConfig = await readEncryptionConfigFile(encryptionConfigFile);
  const backend: Storage =
    storeOptions.kind === 'etcd'
      ? await openEtcdStore({
          endpoints: storeOptions.endpoints,
          ...(storeOptions.tls ? { tls: storeOptions.tls } : {}),
          ...(storeOptions.prefix ? { prefix: storeOptions.prefix } : {}),
        })
      : openSqliteStore({ path: await ownerOnlyFile(join(dir, `${name}.db`)) });
  const storage = encryptedStorage(
    backend,
    encryptionConfig,
    new Set(resources.map((r) => (r.group ? `${r.plural}.${r.group}` : r.plural))),
    encryptionConfigFile,
  );
  const pkiOptions = {
    hosts: [host, ...advertised.map((a) => a.host)],
    caCommonName: `transplant-${name}-ca`,
    commonName: `${name}-apiserver`,
  };
  let pki: { ca: CertificateAndKey; serving: CertificateAndKey; generated: { ca: boolean } };
  if (storeOptions.kind === 'etcd') {
    const shared = await ensureSharedCa(storage, name, pkiOptions.caCommonName);
    pki = {
      ca: shared.ca,
      serving: await issueServingCertificate(shared.ca, pkiOptions),
      generated: { ca: shared.generated },
    };
  } else {
    pki = await ensureServingPki(join(dir, 'pki'), pkiOptions);
  }
  const rbac = new InMemoryRbacSource();
  const authorizer: Authorizer = new UnionAuthorizer(
    new SuperuserAuthorizer(),
    ...(storeOptions.kind === 'etcd' || options.tokenDigestsInStore
      ? [new SharedStateGuard(options.trustedGroups ?? [])]
      : []),
    ...(options.authorizers ?? []),
    new RbacAuthorizer(rbac),
  );

  let server: ApiServer | undefined;
  const store: StoreLookup = (group, plural) => server!.store(group, plural);
  const systemContext: RequestContext = { user: systemUser(name), dryRun: false, fieldManager: options.fieldManager };
  const client = new InProcessClient(store, systemContext);
  const tokens =
    storeOptions.kind === 'etcd'
      ? storedTokens(client)
      : await fileTokens(
          dir,
          options.tokenDigestsInStore
            ? new StoredTokenDigests(client, (err) =>
                logger.error(
                  { err: (err as Error).message },
                  'cannot read the token digests in kube-system; only the token file authenticates until they read',
                ),
              )
            : undefined,
        );
  const audit = options.audit
    ? await openAuditLog(options.audit, (err) => logger.error({ err }, 'audit log write failed'))
    : undefined;
  server = new ApiServer({
    resources,
    storage,
    admission: options.admission?.(client, authorizer) ?? [],
    authenticator: tokens.authenticator,
    authorizer,
    tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem },
    host,
    port: options.port || state?.port || 0,
    customHandlers: [
      selfSubjectAccessReviewHandler(authorizer),
      ...(options.customHandlers?.(client, authorizer) ?? []),
    ],
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.publicSites ? { publicSites: options.publicSites } : {}),
    logger,
    ...(audit ? { audit: audit.auditor } : {}),
  });
  await createBootstrapObjects(server, [...(options.bootstrap ?? []), ...metricsReaderRbac()], systemContext);
  const informers = await startRbacInformers(client, rbac);
  await tokens.start();

  /** `user`'s token from `existing` when it is still valid, else a new one, counting at once. */
  const validToken = async (existing: string | undefined, user: { name: string; groups: string[] }) => {
    if (existing && (await tokens.isValid(existing))) return existing;
    const token = await tokens.reissue({ name: user.name, uid: user.name, groups: user.groups });
    await tokens.issued();
    return token;
  };
  const metricsReader = metricsReaderFiles(dir);
  const readerToken = await readFile(metricsReader.tokenFile, 'utf8').catch(() => undefined);
  const token = await validToken(readerToken?.trim(), metricsReaderUser);
  if (token !== readerToken?.trim()) await writeFileAtomic(metricsReader.tokenFile, `${token}\n`, 0o600);
  await writeFileAtomic(metricsReader.caFile, pki.ca.certPem, 0o600);

  const address = await server.start();
  await writeState(dir, { port: address.port });
  const listenUrl = httpsUrl(host, address.port);
  const url = httpsUrl(advertised[0]!.host, advertised[0]!.port ?? address.port);
  logger.info(
    {
      url,
      listenUrl,
      dir,
      store: storeOptions.kind,
      generatedCa: pki.generated.ca,
      encryptionConfig: encryptionConfigFile,
      encrypted: encryptionConfig.encrypted.map(groupResourceName),
    },
    `${name} API server started`,
  );

  return {
    server,
    url,
    listenUrl,
    caPem: pki.ca.certPem,
    authorizer,
    systemContext,
    store,
    client,
    resources,
    metricsReader,
    async ensureKubeconfig(path, user, namespace) {
      const token = await validToken(await existingToken(path), user);
      const text = buildKubeconfig({
        clusterName: name,
        server: url,
        caPem: pki.ca.certPem,
        user: { name: user.name, token },
        namespace,
      });
      await writeKubeconfig(path, text);
      return path;
    },
    async stop() {
      informers.stop();
      tokens.stop();
      await server!.stop();
      await audit?.close();
      await storage.close();
    },
  };
}

/** The encryption config file to use: the one given, or (SQLite only) the one generated in the directory. */
async function encryptionConfigOf(options: HostedApiServerOptions, store: HostedStore['kind']): Promise<string> {
  if (options.encryptionConfigFile) return options.encryptionConfigFile;
  if (store === 'etcd') {
    throw new EncryptionConfigError(
      `${options.name} on etcd needs an encryption provider config (--encryption-provider-config), the same file on every replica`,
    );
  }
  return ensureEncryptionConfigFile(
    join(options.dir, ENCRYPTION_CONFIG_FILE),
    options.encryptedResources ?? ['secrets'],
  );
}

/**
 * `path`, created empty with mode 0600 when missing: SQLite creates its -wal and -shm files with
 * the database file's mode, so they are owner-only too. An existing file (a store from before
 * file modes were set) is made owner-only.
 */
async function ownerOnlyFile(path: string): Promise<string> {
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
  for (const companion of [`${path}-wal`, `${path}-shm`]) {
    await chmod(companion, 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  return path;
}

/** Where the server's bearer tokens are recorded (as SHA-256 digests) and checked. */
interface TokenRegistry {
  readonly authenticator: Authenticator;
  start(): Promise<void>;
  isValid(token: string): Promise<boolean>;
  /**
   * A new token for a kubeconfig this server writes. In a file, the user's other tokens are
   * revoked (one server, one kubeconfig per user); in the store they are kept, since each replica
   * writes its own kubeconfig for the same user.
   */
  reissue(user: TokenUser): Promise<string>;
  /** Makes tokens just issued count at once. */
  issued(): Promise<void>;
  stop(): void;
}

/**
 * One host: the token file in the directory, and, when given, the token-digest Secrets in the
 * store (`stored`) beside it.
 */
async function fileTokens(dir: string, stored?: StoredTokenDigests): Promise<TokenRegistry> {
  await mkdir(join(dir, 'auth'), { recursive: true, mode: 0o700 });
  const tokenFile = join(dir, 'auth', 'tokens.json');
  const authenticator = await TokenAuthenticator.fromFile(tokenFile);
  return {
    authenticator: stored ? new UnionAuthenticator(authenticator, stored) : authenticator,
    start: async () => stored?.start(),
    isValid: async (token) => (await readTokenFile(tokenFile)).tokens.some((t) => t.sha256 === hashToken(token)),
    async reissue(user) {
      await revokeTokens(tokenFile, user.name);
      return issueToken(tokenFile, user);
    },
    issued: () => authenticator.reload(),
    stop: () => stored?.stop(),
  };
}

/** Replicas on one store: the token-digest Secrets every replica follows. */
function storedTokens(client: Client): TokenRegistry {
  const authenticator = new StoredTokenDigests(client);
  return {
    authenticator,
    start: () => authenticator.start(),
    isValid: (token) => tokenIsStored(client, token),
    reissue: (user) => issueStoredToken(client, user),
    issued: async () => {},
    stop: () => authenticator.stop(),
  };
}

/** `HOST`, `HOST:PORT` or `[V6]:PORT` (a bare IPv6 address has no port). */
export function parseHostPort(address: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const withPort = /^([^:]+):(\d+)$/.exec(address);
  if (withPort) return { host: withPort[1]!, port: Number(withPort[2]) };
  return { host: address };
}

function httpsUrl(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Creates each object through the store of its kind when it is missing, in order, as `ctx`'s
 * user; an existing object is left as it is (the store outlives the server, and operators may
 * have changed it).
 */
export async function createBootstrapObjects(
  server: ApiServer,
  objects: readonly KubeObject[],
  ctx: RequestContext,
): Promise<void> {
  for (const obj of objects) {
    const [group] = (obj.apiVersion ?? 'v1').includes('/') ? (obj.apiVersion ?? '').split('/') : [''];
    await server.storeForKind(group ?? '', obj.kind ?? '').createIfAbsent(obj.metadata.namespace ?? '', obj, ctx);
  }
}

/**
 * Keeps `rbac` in step with the server's Role, ClusterRole, RoleBinding and ClusterRoleBinding
 * objects (read through `client`, the server's in-process one) through one informer per kind;
 * resolves once all four have synced.
 */
export async function startRbacInformers(client: Client, rbac: InMemoryRbacSource): Promise<{ stop(): void }> {
  const informers = rbacKinds.map(([kind, resource]) => {
    const informer = new Informer(clientListWatch(client, resource), {
      upsert: (obj) => rbac.upsert(kind, obj),
      remove: (obj) => rbac.remove(kind, obj.metadata.namespace ?? '', obj.metadata.name ?? ''),
    });
    informer.start();
    return informer;
  });
  await Promise.all(informers.map((i) => i.synced()));
  return {
    stop() {
      for (const informer of informers) informer.stop();
    },
  };
}

function systemUser(name: string): UserInfo {
  return { name: `system:transplant:${name}`, groups: ['system:masters'] };
}

async function existingToken(path: string): Promise<string | undefined> {
  try {
    const config = parseYaml(await readFile(path, 'utf8')) as { users?: { user?: { token?: string } }[] };
    return config.users?.[0]?.user?.token;
  } catch {
    return undefined;
  }
}

interface ServerState {
  port: number;
}

async function readState(dir: string): Promise<ServerState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'server.json'), 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}

async function writeState(dir: string, state: ServerState): Promise<void> {
  await writeFile(join(dir, 'server.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
