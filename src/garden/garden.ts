/**
 * The garden: Gardener's API server (core.gardener.cloud/v1beta1 with RBAC, on SQLite) plus its
 * controller manager, in one process. State lives in one directory: the store, the PKI, the
 * token digests and the kubeconfigs it writes for the operator and a project member.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { coreResources } from '../api/core/index.js';
import { gardenResources } from '../api/core-gardener/index.js';
import { isAlreadyExists, isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { rbacResources } from '../api/rbac/resources.js';
import type { RbacKind } from '../api/rbac/types.js';
import { selfSubjectAccessReviewHandler } from '../apiserver/access-review-handler.js';
import { TokenAuthenticator } from '../apiserver/authn/token-authenticator.js';
import { hashToken, issueToken, readTokenFile, revokeTokens } from '../apiserver/authn/token-file.js';
import { RbacAuthorizer } from '../apiserver/authz/rbac-authorizer.js';
import { InMemoryRbacSource } from '../apiserver/authz/rbac-source.js';
import { SuperuserAuthorizer } from '../apiserver/authz/superuser-authorizer.js';
import { UnionAuthorizer } from '../apiserver/authz/union-authorizer.js';
import { buildKubeconfig, writeKubeconfig } from '../apiserver/kubeconfig.js';
import { ensureServingPki } from '../apiserver/pki/serving-pki.js';
import { NamespaceLifecycle } from '../apiserver/plugins/namespace-lifecycle.js';
import type { GenericStore, RequestContext } from '../apiserver/registry/generic-store.js';
import { ApiServer } from '../apiserver/server.js';
import type { Authorizer, UserInfo } from '../apiserver/types.js';
import { Controller } from '../controller/controller.js';
import { Informer } from '../controller/informer.js';
import { storeListWatch } from '../controller/list-watch.js';
import { NamespaceReconciler } from '../controller/namespace-controller.js';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import { ShootValidator } from './admission/shoot-validator.js';
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  operatorGroup,
  operatorUser,
  projectMemberRoleBinding,
  projectMemberUser,
} from './bootstrap-rbac.js';
import { ProjectReconciler } from './controllers/project-controller.js';
import { ShootStateReconciler } from './controllers/shoot-state-controller.js';

export interface GardenOptions {
  dir: string;
  host?: string;
  /** 0 picks a free port the first time and reuses it on later starts. */
  port?: number;
  logger: Logger;
  /** Oldest acceptable seed heartbeat for a migration destination (admission). */
  seedHeartbeatMaxAgeSeconds?: number;
}

export interface Garden {
  url: string;
  server: ApiServer;
  operatorKubeconfig: string;
  memberKubeconfig: string;
  stop(): Promise<void>;
}

/** The identity the garden's own controllers act as. */
const controllerManagerUser: UserInfo = { name: 'system:gardener-controller-manager', groups: ['system:masters'] };

/** Namespaces every garden has: `garden` for seeds' secrets, the seed lease namespace for heartbeats. */
const systemNamespaces = ['default', 'kube-system', 'garden', 'gardener-system-seed-lease'];

/** The namespace of project `dev`, where the member kubeconfig's user is a project member. */
const memberNamespace = 'garden-dev';

interface GardenState {
  port: number;
}

export async function startGarden(options: GardenOptions): Promise<Garden> {
  const { dir, logger } = options;
  const host = options.host ?? '127.0.0.1';
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const state = await readState(dir);
  const port = options.port || state?.port || 0;

  const pki = await ensureServingPki(join(dir, 'pki'), {
    hosts: [host],
    caCommonName: 'transplant-garden-ca',
    commonName: 'garden-apiserver',
  });
  const storage = openSqliteStore({ path: join(dir, 'garden.db') });
  const tokenFile = join(dir, 'auth', 'tokens.json');
  await mkdir(join(dir, 'auth'), { recursive: true, mode: 0o700 });
  const authenticator = await TokenAuthenticator.fromFile(tokenFile);
  const rbac = new InMemoryRbacSource();
  const authorizer: Authorizer = new UnionAuthorizer(new SuperuserAuthorizer(), new RbacAuthorizer(rbac));

  let server: ApiServer | undefined;
  const store = (group: string, plural: string): GenericStore => server!.store(group, plural);
  const shootValidator = new ShootValidator({
    seeds: { getSeed: (name) => store('core.gardener.cloud', 'seeds').find('', name) },
    heartbeatMaxAgeSeconds: options.seedHeartbeatMaxAgeSeconds,
    canBind: async (user, namespace, name) => {
      const decision = await authorizer.authorize({
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
      return decision.decision === 'allow';
    },
  });
  server = new ApiServer({
    resources: [...coreResources, ...rbacResources, ...gardenResources],
    storage,
    admission: [
      new NamespaceLifecycle({ getNamespace: (name) => store('', 'namespaces').find('', name) }),
      shootValidator,
    ],
    authenticator,
    authorizer,
    tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem },
    host,
    port,
    customHandlers: [selfSubjectAccessReviewHandler(authorizer)],
    logger,
  });

  const ctx: RequestContext = { user: controllerManagerUser, dryRun: false };
  await bootstrapObjects(server, ctx);
  const informers = rbacInformers(server, rbac);
  await Promise.all(informers.map((i) => i.synced()));

  const address = await server.start();
  await writeState(dir, { port: address.port });
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  const operatorKubeconfig = join(dir, 'garden.kubeconfig');
  const memberKubeconfig = join(dir, 'project-member.kubeconfig');
  await ensureKubeconfig(operatorKubeconfig, tokenFile, url, pki.ca.certPem, 'garden', {
    name: operatorUser,
    groups: [operatorGroup],
  });
  await ensureKubeconfig(
    memberKubeconfig,
    tokenFile,
    url,
    pki.ca.certPem,
    'garden-dev',
    { name: projectMemberUser, groups: [] },
    'garden-dev',
  );
  await authenticator.reload();

  const projects = new Controller({
    name: 'project',
    source: storeListWatch(server.store('core.gardener.cloud', 'projects')),
    reconciler: new ProjectReconciler(
      {
        projects: server.store('core.gardener.cloud', 'projects'),
        namespaces: server.store('', 'namespaces'),
        roleBindings: server.store('rbac.authorization.k8s.io', 'rolebindings'),
      },
      ctx,
    ),
    logger,
  });
  const shootStates = new Controller({
    name: 'shootstate',
    source: storeListWatch(server.store('core.gardener.cloud', 'shoots')),
    reconciler: new ShootStateReconciler(
      {
        shoots: server.store('core.gardener.cloud', 'shoots'),
        shootStates: server.store('core.gardener.cloud', 'shootstates'),
      },
      ctx,
    ),
    logger,
  });
  const namespaces = new Controller({
    name: 'namespace',
    source: storeListWatch(server.store('', 'namespaces')),
    reconciler: new NamespaceReconciler(server.store('', 'namespaces'), () => server!.stores(), ctx),
    logger,
  });
  const controllers = [projects, shootStates, namespaces];
  for (const controller of controllers) controller.start();
  logger.info({ url, dir, generatedCa: pki.generated.ca }, 'garden API server started');

  return {
    url,
    server,
    operatorKubeconfig,
    memberKubeconfig,
    async stop() {
      for (const controller of controllers) controller.stop();
      for (const informer of informers) informer.stop();
      await server!.stop();
      await storage.close();
    },
  };
}

/** Creates what every garden has; existing objects are left as they are. */
async function bootstrapObjects(server: ApiServer, ctx: RequestContext): Promise<void> {
  const ensure = (store: GenericStore, obj: KubeObject) => store.createIfAbsent(obj.metadata.namespace ?? '', obj, ctx);
  for (const name of systemNamespaces) {
    await ensure(server.store('', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  for (const role of bootstrapClusterRoles())
    await ensure(server.store('rbac.authorization.k8s.io', 'clusterroles'), role);
  for (const binding of bootstrapClusterRoleBindings()) {
    await ensure(server.store('rbac.authorization.k8s.io', 'clusterrolebindings'), binding);
  }
  // The member kubeconfig's user manages shoots in garden-dev (but may not use shoots/binding).
  await ensure(server.store('', 'namespaces'), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: memberNamespace,
      labels: { 'gardener.cloud/role': 'project', 'project.gardener.cloud/name': 'dev' },
    },
  });
  await ensure(
    server.store('rbac.authorization.k8s.io', 'rolebindings'),
    projectMemberRoleBinding(memberNamespace, projectMemberUser),
  );
}

function rbacInformers(server: ApiServer, rbac: InMemoryRbacSource): Informer[] {
  const kinds: [RbacKind, string][] = [
    ['Role', 'roles'],
    ['ClusterRole', 'clusterroles'],
    ['RoleBinding', 'rolebindings'],
    ['ClusterRoleBinding', 'clusterrolebindings'],
  ];
  return kinds.map(([kind, plural]) => {
    const informer = new Informer(storeListWatch(server.store('rbac.authorization.k8s.io', plural)), {
      upsert: (obj) => rbac.upsert(kind, obj),
      remove: (obj) => rbac.remove(kind, obj.metadata.namespace ?? '', obj.metadata.name ?? ''),
    });
    informer.start();
    return informer;
  });
}

/**
 * Writes a token kubeconfig for `user` unless one exists; an existing one keeps its token and
 * gets the current server address. The token file keeps only the token's digest.
 */
async function ensureKubeconfig(
  path: string,
  tokenFile: string,
  url: string,
  caPem: string,
  clusterName: string,
  user: { name: string; groups: string[] },
  namespace?: string,
): Promise<void> {
  let token = await existingToken(path);
  const known = (await readTokenFile(tokenFile)).tokens.some(
    (t) => token !== undefined && t.sha256 === hashToken(token),
  );
  if (!token || !known) {
    await revokeTokens(tokenFile, user.name);
    token = await issueToken(tokenFile, { name: user.name, uid: user.name, groups: user.groups });
  }
  await writeKubeconfig(
    path,
    buildKubeconfig({ clusterName, server: url, caPem, user: { name: user.name, token }, namespace }),
  );
}

async function existingToken(path: string): Promise<string | undefined> {
  try {
    const config = parseYaml(await readFile(path, 'utf8')) as { users?: { user?: { token?: string } }[] };
    return config.users?.[0]?.user?.token;
  } catch {
    return undefined;
  }
}

async function readState(dir: string): Promise<GardenState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'garden.json'), 'utf8')) as GardenState;
  } catch {
    return undefined;
  }
}

async function writeState(dir: string, state: GardenState): Promise<void> {
  await writeFile(join(dir, 'garden.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
