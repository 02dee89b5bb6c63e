/**
 * What the control-plane-migration tests share: the seed document's trigger command, verbatim,
 * and a landscape (seed-a, seed-b) with the example shoot created on seed-a and a client through
 * an admin kubeconfig issued before any migration.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ABORT_LIVE_MIGRATION_ANNOTATION,
  LIVE_MIGRATE_ANNOTATION,
  liveMigrationRecord,
} from '../../src/api/core-gardener/live-migration.js';
import { shootStateResource } from '../../src/api/core-gardener/shoot-state.js';
import { checked } from '../../src/client/client.js';
import { hashKV, memberList } from '../../src/process/etcd-cluster-ops.js';
import type { EtcdMemberEntry } from '../../src/process/etcd-gateway.js';
import type { EtcdTls } from '../../src/process/etcd-process.js';
import type { Json } from './api-client.js';
import { type ContinuityReport, continuityProblems, probeWriterRecords } from './continuity-probe.js';
import { bash, getJson, kubectl } from './kubectl.js';
import {
  exampleShootManifest,
  examplesDir,
  type LandscapeOptions,
  startLandscape,
  type TestLandscape,
} from './landscape.js';
import { etcdPidsUnder, eventually } from './processes.js';
import { type ShootClient, shootClient } from './shoot-client.js';
import { checkWrites } from './shoot-writer.js';

export const SHOOT_NAMESPACE = 'garden-dev';
export const SHOOT = 'my-shoot';
export const CONTROL_PLANE = 'shoot--dev--my-shoot';

/** The seed document's trigger command, verbatim: run with NAMESPACE, SHOOT_NAME, DEST_SEED_NAME and KUBECONFIG set. */
export const SEED_DOCUMENT_TRIGGER = `kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME} | jq -c '.spec.seedName = "'\${DEST_SEED_NAME}'"' | kubectl replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME}/binding -f - | jq -r '.spec.seedName'`;

/** Runs the trigger command against the garden with `gardenKubeconfig`; asserts it printed the destination. */
export async function triggerMigration(gardenKubeconfig: string, destination: string): Promise<void> {
  const triggered = await bash(SEED_DOCUMENT_TRIGGER, {
    KUBECONFIG: gardenKubeconfig,
    NAMESPACE: SHOOT_NAMESPACE,
    SHOOT_NAME: SHOOT,
    DEST_SEED_NAME: destination,
  });
  assert.equal(triggered.code, 0, triggered.stderr);
  assert.equal(triggered.stdout, `${destination}\n`);
}

/**
 * The seed document's trigger for a live migration: the shoot annotated
 * `migration.gardener.cloud/live-migrate: "true"`, then the binding command, verbatim. The garden
 * refuses the binding while a seed has not reported yet whether it reaches the other's etcd peers
 * (a seed just started: its first round of probes): the command is run again until the reports
 * are there. A restarted seed is judged afresh at once (the others re-probe when its Seed changes).
 */
export async function triggerLiveMigration(gardenKubeconfig: string, destination: string): Promise<void> {
  const annotated = await kubectl(gardenKubeconfig, [
    'annotate',
    '--overwrite',
    'shoot',
    SHOOT,
    '-n',
    SHOOT_NAMESPACE,
    `${LIVE_MIGRATE_ANNOTATION}=true`,
  ]);
  assert.equal(annotated.code, 0, annotated.stderr);
  const env = {
    KUBECONFIG: gardenKubeconfig,
    NAMESPACE: SHOOT_NAMESPACE,
    SHOOT_NAME: SHOOT,
    DEST_SEED_NAME: destination,
  };
  const triggered = await eventually(
    async () => {
      const run = await bash(SEED_DOCUMENT_TRIGGER, env);
      if (run.code !== 0 && /has not reported|cannot reach the etcd peers/.test(run.stderr)) return undefined;
      return run;
    },
    60_000,
    "the garden has both seeds' etcd peer reports and accepts the live binding",
  );
  assert.equal(triggered.code, 0, triggered.stderr);
  assert.equal(triggered.stdout, `${destination}\n`);
}

export interface ShootOnLandscape {
  landscape: TestLandscape;
  /** The admin kubeconfig issued right after the shoot was created. */
  kubeconfig: string;
  client: ShootClient;
  /** Closes the client and stops the landscape; safe when the start failed half-way. */
  stop(): Promise<void>;
}

/**
 * A landscape with seed-a and seed-b and the example shoot created on seed-a; `beforeShoot` runs
 * once the landscape is up, before the shoot is created (e.g. to give the garden an internal domain);
 * `failureTolerance`: the example shoot with `spec.controlPlane.highAvailability` of that type.
 */
export async function startShootOnLandscape(
  options: Partial<LandscapeOptions> & {
    beforeShoot?: (landscape: TestLandscape) => Promise<void>;
    failureTolerance?: 'node' | 'zone';
  } = {},
): Promise<ShootOnLandscape> {
  const { beforeShoot, failureTolerance, ...landscapeOptions } = options;
  const landscape = await startLandscape({ seeds: ['seed-a', 'seed-b'], ...landscapeOptions });
  let client: ShootClient | undefined;
  const stop = async () => {
    client?.close();
    await landscape.stop();
  };
  try {
    await beforeShoot?.(landscape);
    for (const file of ['10-project.yaml', '30-shoot.yaml']) {
      const applied =
        file === '30-shoot.yaml' && failureTolerance
          ? await kubectl(landscape.garden, ['apply', '-f', '-'], await highlyAvailableShoot(failureTolerance))
          : await kubectl(landscape.garden, ['apply', '-f', join(examplesDir, file)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    await landscape.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Create', 120_000);
    const kubeconfig = await landscape.adminKubeconfig(SHOOT_NAMESPACE, SHOOT, join(landscape.dir, 'shoot.kubeconfig'));
    client = await shootClient(kubeconfig);
    return { landscape, kubeconfig, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** examples/30-shoot.yaml with `spec.controlPlane.highAvailability.failureTolerance.type: <type>` (JSON). */
async function highlyAvailableShoot(type: 'node' | 'zone'): Promise<string> {
  const doc = JSON.parse(await exampleShootManifest());
  doc.spec.controlPlane = { highAvailability: { failureTolerance: { type } } };
  return JSON.stringify(doc);
}

/** Sets the example shoot's worker pool to exactly `machines` machines. */
export async function setWorkerMachines(gardenKubeconfig: string, machines: number): Promise<void> {
  const patched = await kubectl(gardenKubeconfig, [
    'patch',
    'shoot',
    '-n',
    SHOOT_NAMESPACE,
    SHOOT,
    '--type',
    'json',
    '-p',
    JSON.stringify([
      { op: 'replace', path: '/spec/provider/workers/0/minimum', value: machines },
      { op: 'replace', path: '/spec/provider/workers/0/maximum', value: machines },
    ]),
  ]);
  assert.equal(patched.code, 0, patched.stderr);
}

/** The names of the shoot's Nodes that are Ready, sorted. */
export async function readyNodes(client: ShootClient): Promise<string[]> {
  const { body } = await client.request('GET', '/api/v1/nodes');
  const items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] =
    (body as { items?: [] }).items ?? [];
  return items
    .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((n) => n.metadata.name)
    .sort();
}

export const SKIP_READINESS = 'shoot.gardener.cloud/skip-readiness';

/** `kubectl annotate shoot … shoot.gardener.cloud/skip-readiness=true`, as the seed document says. */
export async function annotateSkipReadiness(gardenKubeconfig: string): Promise<void> {
  const annotated = await kubectl(gardenKubeconfig, [
    'annotate',
    'shoot',
    '-n',
    SHOOT_NAMESPACE,
    SHOOT,
    `${SKIP_READINESS}=true`,
  ]);
  assert.equal(annotated.code, 0, annotated.stderr);
}

/** The Restore step that waits for the shoot's workers. */
export const WORKERS_STEP = 'Waiting until the Kubernetes API server can connect to the Shoot workers';

/** The example shoot's one machine (its worker pool has minimum 1). */
export const MACHINE = `${CONTROL_PLANE}-local-0`;

/**
 * The machine's egress deny list set to `seeds` (none: everything allowed again) — a firewall
 * between the shoot's worker and those seeds' networks, which the machine's agent honours for
 * the API server and the VPN tunnel alike, open connections included.
 */
export async function denyMachineEgress(landscape: TestLandscape, seeds: readonly string[]): Promise<void> {
  const file = join(landscape.dir, 'infrastructure', CONTROL_PLANE, MACHINE, 'egress-deny');
  await writeFile(file, seeds.map((seed) => `${seed}\n`).join(''));
}

/** Waits until the example shoot's last operation is a succeeded Restore on `seed`; the shoot then. */
export async function waitForRestoreOn(landscape: TestLandscape, seed: string, timeoutMs = 180_000): Promise<Json> {
  return eventually(
    async () => {
      const s = await landscape.shoot(SHOOT_NAMESPACE, SHOOT);
      const op = s.status?.lastOperation;
      return op?.type === 'Restore' && op.state === 'Succeeded' && s.status.seedName === seed ? s : undefined;
    },
    timeoutMs,
    `the shoot restored on ${seed}`,
  );
}

/** Waits until the machine's node lease is renewed after `afterIso` (its agent reached the API since). */
export async function waitForLeaseRenewedAfter(client: ShootClient, afterIso: string): Promise<void> {
  await eventually(
    async () => {
      const { body } = await client.request(
        'GET',
        `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${MACHINE}`,
      );
      return ((body as Json).spec?.renewTime ?? '') > afterIso ? true : undefined;
    },
    60_000,
    `the machine's lease renewed after ${afterIso}`,
  );
}

/** The shoot's etcd client TLS on `seed` (its `etcd-client-tls` secret: `ca-etcd` and the API server's pair). */
export async function seedEtcdClientTls(landscape: TestLandscape, seed: string): Promise<EtcdTls> {
  const secret = await getJson(landscape.seedKubeconfig(seed), [
    'get',
    'secret',
    '-n',
    CONTROL_PLANE,
    'etcd-client-tls',
  ]);
  const decoded = (key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
  return { caPem: decoded('ca.crt'), certPem: decoded('tls.crt'), keyPem: decoded('tls.key'), clientCertAuth: true };
}

/** What an aborted live migration left of the cluster the shoot runs on: its members and data before and after. */
export interface AbortedLiveMigration {
  membersBefore: EtcdMemberEntry[];
  membersAfter: EtcdMemberEntry[];
  /** etcd's HashKV at `revision` (a write made just before the trigger), before and after. */
  revision: number;
  hashBefore: number;
  hashAfter: number;
}

/**
 * A live migration of the shoot from `from` (where it runs) to `to`, aborted with
 * `migration.gardener.cloud/abort-live-migration` as soon as `from` has published its members:
 * waits until the garden bound the shoot to `from` again with the record gone, and no etcd of the
 * shoot runs under `to`'s directory any more. `client` writes `namespace/before-abort` first.
 */
export async function abortedLiveMigration(
  landscape: TestLandscape,
  client: ShootClient,
  { from, to, namespace }: { from: string; to: string; namespace: string },
): Promise<AbortedLiveMigration> {
  const etcd = await getJson(landscape.seedKubeconfig(from), ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
  const endpoint = etcd.status.endpoint as string;
  const tls = await seedEtcdClientTls(landscape, from);
  const membersBefore = await memberList([endpoint], tls);
  const written = await client.request('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
    metadata: { name: 'before-abort' },
  });
  assert.equal(written.status, 201, JSON.stringify(written.body));
  const revision = Number(written.body.metadata.resourceVersion);
  const hashBefore = (await hashKV(endpoint, tls, revision)).hash;

  const shootState = async () =>
    liveMigrationRecord(
      checked(shootStateResource, await getJson(landscape.garden, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT])),
    );
  await triggerLiveMigration(landscape.garden, to);
  await eventually(
    async () => ((await shootState())?.sourceSeed === from ? true : undefined),
    60_000,
    `${from} publishes its members for the live migration to ${to}`,
  );
  const aborted = await kubectl(landscape.garden, [
    'annotate',
    'shoot',
    SHOOT,
    '-n',
    SHOOT_NAMESPACE,
    `${ABORT_LIVE_MIGRATION_ANNOTATION}=true`,
  ]);
  assert.equal(aborted.code, 0, aborted.stderr);
  await eventually(
    async () => {
      const s = await getJson(landscape.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]);
      const rebound = s.spec.seedName === from && s.status.seedName === from;
      return rebound && !(await shootState()) ? true : undefined;
    },
    120_000,
    `the shoot is bound to ${from} again and its record is gone`,
  );
  await eventually(
    async () => ((await etcdPidsUnder(join(landscape.dir, 'seeds', to))).length === 0 ? true : undefined),
    60_000,
    `no etcd of the shoot on ${to}`,
  );
  return {
    membersBefore,
    membersAfter: await memberList([endpoint], tls),
    revision,
    hashBefore,
    hashAfter: (await hashKV(endpoint, tls, revision)).hash,
  };
}

/**
 * What a live migration promises its clients (issue 17): the watch saw every acknowledged write,
 * in order, with no 410 and no ERROR, and was still open; every acknowledged write is stored in
 * `namespace` with its resourceVersion and content.
 */
export async function assertLiveContinuity(
  report: ContinuityReport,
  client: ShootClient,
  namespace: string,
): Promise<void> {
  assert.deepEqual(continuityProblems(report), []);
  assert.equal(report.watch.gone.length, 0, 'no 410 Gone');
  const { items } = await client.listConfigMaps(namespace);
  const check = checkWrites(probeWriterRecords(report), items);
  assert.deepEqual(check.missing, [], 'no acknowledged write is missing');
  assert.deepEqual(check.changed, [], 'every acknowledged write has its resourceVersion and content');
}

/** After a move: the admin kubeconfig issued before it lists the nodes, and the one machine is Ready. */
export async function assertServesAfterMove(shoot: ShootOnLandscape): Promise<void> {
  const nodes = await kubectl(shoot.kubeconfig, ['get', 'nodes']);
  assert.equal(nodes.code, 0, nodes.stderr);
  await eventually(
    async () => ((await readyNodes(shoot.client)).length === 1 ? true : undefined),
    60_000,
    'the machine is Ready',
  );
}

/**
 * Asks the garden whether moving the example shoot to `target` would work, as `kubeconfig`'s user,
 * with kubectl (a MigrationPreflight, created and deleted again); the completed preflight. `spec`
 * adds fields to the request (a forged `username`, which the garden must overwrite).
 */
export async function migrationPreflight(
  kubeconfig: string,
  target: string,
  spec: Record<string, unknown> = {},
): Promise<Json> {
  const request = {
    apiVersion: 'migration.transplant.gardener.cloud/v1alpha1',
    kind: 'MigrationPreflight',
    metadata: { generateName: `${SHOOT}-`, namespace: SHOOT_NAMESPACE },
    spec: { shootName: SHOOT, seedName: target, ...spec },
  };
  const created = await kubectl(kubeconfig, ['create', '-f', '-', '-o', 'name'], JSON.stringify(request));
  assert.equal(created.code, 0, created.stderr);
  const name = created.stdout.trim().split('/').at(-1)!;
  try {
    return await eventually(
      async () => {
        const preflight = await getJson(kubeconfig, ['get', 'migrationpreflight', '-n', SHOOT_NAMESPACE, name]);
        return preflight.status?.phase && preflight.status.phase !== 'Pending' ? preflight : undefined;
      },
      60_000,
      `preflight ${name} completes`,
    );
  } finally {
    await kubectl(kubeconfig, ['delete', 'migrationpreflight', '-n', SHOOT_NAMESPACE, name, '--wait=false']);
  }
}

/** A completed preflight's checks as `name → "Status: message"`, for asserting and for diagnostics. */
export function preflightChecks(preflight: Json): Record<string, string> {
  return Object.fromEntries(
    (preflight.status?.checks ?? []).map((c: Json) => [c.name, `${c.status} (${c.origin}): ${c.message}`]),
  );
}
