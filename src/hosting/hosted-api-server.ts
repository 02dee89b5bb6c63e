/**
 * An API server that lives in a state directory: the garden's and each seed's. The directory
 * keeps its SQLite store, its PKI (CA generated once, never replaced), the digests of its bearer
 * tokens, and its port (reused on restart so kubeconfigs stay valid). Authorization is RBAC over
 * the server's own Role/ClusterRole/…Binding objects, plus `system:masters`.
 *
 * It lives above the generic server (src/apiserver), as k8s's `pkg/controlplane` assembles
 * k8s.io/apiserver with `pkg/registry`: it picks a storage backend, the RBAC kinds' definitions
 * and the informers feeding the authorizer, none of which the generic server may know about.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
import { TokenAuthenticator } from '../apiserver/authn/token-authenticator.js';
import { hashToken, issueToken, readTokenFile, revokeTokens } from '../apiserver/authn/token-file.js';
import { RbacAuthorizer } from '../apiserver/authz/rbac-authorizer.js';
import { InMemoryRbacSource } from '../apiserver/authz/rbac-source.js';
import { SuperuserAuthorizer } from '../apiserver/authz/superuser-authorizer.js';
import { UnionAuthorizer } from '../apiserver/authz/union-authorizer.js';
import { InProcessClient, type StoreLookup } from '../apiserver/in-process-client.js';
import { buildKubeconfig, writeKubeconfig } from '../apiserver/kubeconfig.js';
import { ensureServingPki } from '../apiserver/pki/serving-pki.js';
import type { RequestContext } from '../apiserver/registry/generic-store.js';
import { ApiServer, type CustomHandler } from '../apiserver/server.js';
import type { AdmissionPlugin, Authorizer, ResourceDefinition, UserInfo } from '../apiserver/types.js';
import type { Client } from '../client/client.js';
import { Informer } from '../controller/informer.js';
import { clientListWatch } from '../controller/list-watch.js';
import { rbacDefinitions } from '../registry/rbac/index.js';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';

export type { StoreLookup } from '../apiserver/in-process-client.js';

export interface HostedApiServerOptions {
  /** Names the CA and the kubeconfig clusters, e.g. "garden" or "seed-a". */
  name: string;
  /** The manager the in-process controllers' writes are recorded for (managedFields), e.g. "gardenlet". */
  fieldManager: string;
  dir: string;
  /** The address it listens on; default 127.0.0.1. */
  host?: string | undefined;
  /** The address or name clients reach it at (kubeconfigs, certificate SANs); default `host`. */
  advertiseAddress?: string | undefined;
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
  /** Objects created on every start when missing (namespaces, roles, bindings…), in order. */
  bootstrap?: readonly KubeObject[];
}

export interface HostedApiServer {
  server: ApiServer;
  url: string;
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
  const advertised = options.advertiseAddress ?? host;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const state = await readState(dir);
  const pki = await ensureServingPki(join(dir, 'pki'), {
    hosts: [...new Set([host, advertised])],
    caCommonName: `transplant-${name}-ca`,
    commonName: `${name}-apiserver`,
  });
  const storage = openSqliteStore({ path: join(dir, `${name}.db`) });
  await mkdir(join(dir, 'auth'), { recursive: true, mode: 0o700 });
  const tokenFile = join(dir, 'auth', 'tokens.json');
  const authenticator = await TokenAuthenticator.fromFile(tokenFile);
  const rbac = new InMemoryRbacSource();
  const authorizer: Authorizer = new UnionAuthorizer(new SuperuserAuthorizer(), new RbacAuthorizer(rbac));

  let server: ApiServer | undefined;
  const store: StoreLookup = (group, plural) => server!.store(group, plural);
  const systemContext: RequestContext = { user: systemUser(name), dryRun: false, fieldManager: options.fieldManager };
  const client = new InProcessClient(store, systemContext);
  const resources = [...options.resources, ...rbacDefinitions];
  server = new ApiServer({
    resources,
    storage,
    admission: options.admission?.(client, authorizer) ?? [],
    authenticator,
    authorizer,
    tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem },
    host,
    port: options.port || state?.port || 0,
    customHandlers: [
      selfSubjectAccessReviewHandler(authorizer),
      ...(options.customHandlers?.(client, authorizer) ?? []),
    ],
    logger,
  });
  await createBootstrapObjects(server, options.bootstrap ?? [], systemContext);
  const informers = await startRbacInformers(client, rbac);

  const address = await server.start();
  await writeState(dir, { port: address.port });
  const url = `https://${advertised.includes(':') ? `[${advertised}]` : advertised}:${address.port}`;
  logger.info({ url, dir, generatedCa: pki.generated.ca }, `${name} API server started`);

  return {
    server,
    url,
    caPem: pki.ca.certPem,
    authorizer,
    systemContext,
    store,
    client,
    resources,
    async ensureKubeconfig(path, user, namespace) {
      let token = await existingToken(path);
      const known =
        token !== undefined && (await readTokenFile(tokenFile)).tokens.some((t) => t.sha256 === hashToken(token!));
      if (!token || !known) {
        await revokeTokens(tokenFile, user.name);
        token = await issueToken(tokenFile, { name: user.name, uid: user.name, groups: user.groups });
      }
      const text = buildKubeconfig({
        clusterName: name,
        server: url,
        caPem: pki.ca.certPem,
        user: { name: user.name, token },
        namespace,
      });
      await writeKubeconfig(path, text);
      await authenticator.reload();
      return path;
    },
    async stop() {
      informers.stop();
      await server!.stop();
      await storage.close();
    },
  };
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
