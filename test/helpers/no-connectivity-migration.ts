/**
 * The seed document's first failure mode and its manual workaround, verbatim: the destination seed
 * cannot reach the source seed's backup store.
 *
 * seed-a keeps its backups in one S3 store (an s3rver) and reaches it only through a TCP proxy;
 * seed-b keeps its backups in another S3 store, which it reaches directly, or in a local directory
 * (the providers then differ, as between two clouds). The garden and the
 * seeds are started one by one (`transplant garden`, `transplant seed --backup-provider s3
 * --backup-endpoint …`), as on separate machines.
 * Right after seed-a uploaded the final full snapshot of the Migrate (a `.final` object appears
 * in its bucket) the proxy is cut: from then on no seed reaches that store, while the operator's
 * machine still reaches s3rver directly. The Restore on seed-b then stays at "Waiting until etcd
 * backups are copied" with a lastError that says why and what to do, and the operator follows the
 * seed document: `transplant backup copy` (etcdbrctl's flags, the source store's direct address),
 * the document's `kubectl patch … etcdcopybackupstask … --subresource status --type merge` against
 * seed-b's API, waits for etcd-main Ready and the `source-etcd-backup` secret gone, removes the
 * finalizer of the source extension BackupEntry on seed-b — and the Restore succeeds with every
 * ConfigMap at its resourceVersion.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { issueSeedKubeconfigInDir } from '../../src/garden/seed-credentials.js';
import { stopMachinesUnder } from '../../src/seed/runtime/machine-runtime.js';
import type { Json } from '../helpers/api-client.js';
import { bash, kubectl } from '../helpers/kubectl.js';
import { cli, examplesDir } from '../helpers/landscape.js';
import { CONTROL_PLANE, SHOOT, SHOOT_NAMESPACE, triggerMigration } from '../helpers/migration.js';
import { alive, etcdPidsUnder, eventually, until } from '../helpers/processes.js';
import { type S3rver, startS3rver, writeS3rverCredentialsFile } from '../helpers/s3rver.js';
import { type ShootClient, shootClient } from '../helpers/shoot-client.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const COPY_STEP = 'Waiting until etcd backups are copied';

/**
 * The seed document's command marking the EtcdCopyBackupsTask successful, verbatim (the document
 * sets the two variables on the lines before it).
 */
const MARK_COPY_SUCCEEDED = `SHOOT_NAME=my-shoot
PROJECT_NAME=dev
kubectl patch -n shoot--\${PROJECT_NAME}--\${SHOOT_NAME} etcdcopybackupstask \${SHOOT_NAME} --subresource status --type merge -p "{\\"status\\":{\\"conditions\\":[{\\"type\\":\\"Succeeded\\",\\"status\\":\\"True\\",\\"reason\\":\\"manual copy successful\\",\\"message\\":\\"manual copy successful\\",\\"lastTransitionTime\\":\\"$(date -Iseconds)\\",\\"lastUpdateTime\\":\\"$(date -Iseconds)\\"}]}}"`;

async function getJson(kubeconfig: string, args: string[]): Promise<Json> {
  const res = await kubectl(kubeconfig, [...args, '-o', 'json']);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** The garden and two seeds as separate processes of this test, each with its own log. */
class SeparateLandscape {
  readonly processes: ChildProcess[] = [];
  constructor(readonly dir: string) {}

  get garden(): string {
    return join(this.dir, 'garden', 'garden.kubeconfig');
  }

  seedKubeconfig(seed: string): string {
    return join(this.dir, 'seeds', seed, 'state', 'seed.kubeconfig');
  }

  async start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
    await mkdir(join(this.dir, 'logs'), { recursive: true });
    const log = openSync(join(this.dir, 'logs', `${name}.log`), 'a');
    const child = spawn(process.execPath, [cli, ...args, '--log-level', 'warn'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
    });
    this.processes.push(child);
  }

  async waitUntilServing(kubeconfig: string, what: string): Promise<void> {
    await until(
      async () => existsSync(kubeconfig) && (await kubectl(kubeconfig, ['get', '--raw', '/readyz'])).code === 0,
      60_000,
      `${what} serves`,
    );
  }

  async stop(): Promise<void> {
    for (const child of this.processes) if (alive(child.pid)) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const child of this.processes) if (alive(child.pid)) child.kill('SIGKILL');
    // Shoot etcds and machines run detached from their seed.
    for (const pid of await etcdPidsUnder(this.dir)) process.kill(pid, 'SIGKILL');
    await stopMachinesUnder(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Where seed-b, the destination, keeps its backups. */
export type DestinationStore = 's3' | 'local';

export function describeNoConnectivityToSourceStore(
  destinationStore: DestinationStore,
  options: { skip?: string | false } = {},
): void {
  describe(
    `the destination seed (${destinationStore} backups) cannot reach the source seed's S3 backup store`,
    options,
    () => {
      /** seed-a's store, behind the proxy, and seed-b's store when it is S3. */
      let sourceS3: S3rver;
      let targetS3: S3rver | undefined;
      let targetRoot: string;
      let proxy: TcpProxy;
      let l: SeparateLandscape;
      let client: ShootClient;
      let versions: Map<string, string>;
      let shootUid: string;
      let credentials: string;

      before(async () => {
        [sourceS3, targetS3] = await Promise.all([
          startS3rver(),
          destinationStore === 's3' ? startS3rver() : undefined,
        ]);
        proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: sourceS3.port });
        l = new SeparateLandscape(await mkdtemp(join(tmpdir(), 'transplant-e2e-noconn-')));
        targetRoot = join(l.dir, 'seed-b-backups');
        // Both s3rvers know the same (built-in) account.
        credentials = join(l.dir, 's3-credentials.json');
        await writeS3rverCredentialsFile(credentials);
        await l.start('garden', ['garden', '--dir', join(l.dir, 'garden')]);
        await l.waitUntilServing(l.garden, 'the garden');
        const seedArgs = async (seed: string) => {
          await mkdir(join(l.dir, 'seeds', seed), { recursive: true });
          const gardenKubeconfig = join(l.dir, 'seeds', seed, 'garden.kubeconfig');
          await issueSeedKubeconfigInDir(join(l.dir, 'garden'), seed, gardenKubeconfig);
          return [
            'seed',
            '--name',
            seed,
            '--garden-kubeconfig',
            gardenKubeconfig,
            '--dir',
            join(l.dir, 'seeds', seed, 'state'),
          ];
        };
        const s3Credentials = { AWS_APPLICATION_CREDENTIALS_JSON: credentials };
        await l.start(
          'seed-a',
          [...(await seedArgs('seed-a')), '--backup-provider', 's3', '--backup-endpoint', proxy.url],
          s3Credentials,
        );
        const seedBStore = targetS3
          ? ['--backup-provider', 's3', '--backup-endpoint', targetS3.endpoint]
          : ['--backup-provider', 'local', '--backup-root', targetRoot];
        await l.start('seed-b', [...(await seedArgs('seed-b')), ...seedBStore], s3Credentials);
        for (const seed of ['seed-a', 'seed-b']) {
          await l.waitUntilServing(l.seedKubeconfig(seed), seed);
          await until(
            async () => {
              const s = await getJson(l.garden, ['get', 'seed', seed]).catch(() => undefined);
              return (
                s?.status?.conditions?.some((c: Json) => c.type === 'GardenletReady' && c.status === 'True') ?? false
              );
            },
            60_000,
            `${seed} is ready in the garden`,
          );
        }
        // The CloudProfile `transplant up` would register, then the project (with its binding) and the shoot.
        for (const file of ['gardener-local/00-cloudprofile.yaml', '10-project.yaml', '30-shoot.yaml']) {
          const applied = await kubectl(l.garden, ['apply', '-f', join(examplesDir, file)]);
          assert.equal(applied.code, 0, applied.stderr);
        }
        const created = await eventually(
          async () => {
            const s = await getJson(l.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]);
            const op = s.status?.lastOperation;
            return op?.type === 'Create' && op.state === 'Succeeded' ? s : undefined;
          },
          120_000,
          'the shoot is created on seed-a',
        );
        shootUid = created.metadata.uid;
        const request = JSON.stringify({
          apiVersion: 'authentication.gardener.cloud/v1alpha1',
          kind: 'AdminKubeconfigRequest',
          spec: { expirationSeconds: 86400 },
        });
        const issued = await kubectl(
          l.garden,
          [
            'create',
            '--raw',
            `/apis/core.gardener.cloud/v1beta1/namespaces/${SHOOT_NAMESPACE}/shoots/${SHOOT}/adminkubeconfig`,
            '-f',
            '-',
          ],
          request,
        );
        assert.equal(issued.code, 0, issued.stderr);
        const kubeconfig = join(l.dir, 'shoot.kubeconfig');
        await writeFile(kubeconfig, Buffer.from(JSON.parse(issued.stdout).status.kubeconfig, 'base64'), {
          mode: 0o600,
        });
        client = await shootClient(kubeconfig);
        const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'data' } });
        assert.equal(ns.status, 201, JSON.stringify(ns.body));
        versions = await client.createConfigMaps('data', 'cm', 2_000);
      });

      after(async () => {
        client?.close();
        await l?.stop();
        await proxy?.close();
        await sourceS3?.stop();
        await targetS3?.stop();
      });

      it('the Restore waits at the copy step, saying why and what to do', async (t) => {
        const seedA = await getJson(l.garden, ['get', 'seed', 'seed-a']);
        const bucket = seedA.metadata.uid as string;
        const prefix = `${CONTROL_PLANE}--${shootUid}/etcd-main/v2/`;
        await triggerMigration(l.garden, 'seed-b');
        // The operator's machine reaches s3rver directly; the seeds only through the proxy.
        const final = await eventually(
          async () => {
            const listed = await sourceS3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
            return listed.Contents?.find((o) => o.Key?.endsWith('.final'))?.Key;
          },
          60_000,
          'seed-a uploaded the final full snapshot to its bucket',
        );
        proxy.cut();
        t.diagnostic(`cut the proxy once ${final} appeared`);

        let lastSeen: Json;
        const waiting = await eventually(
          async () => {
            const s = await getJson(l.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]);
            lastSeen = s.status;
            const error = (s.status?.lastErrors ?? []).find((e: Json) =>
              String(e.taskID ?? e.description).includes(COPY_STEP),
            );
            return s.status?.lastOperation?.type === 'Restore' && error ? { shoot: s, error } : undefined;
          },
          120_000,
          `the Restore reports an error at "${COPY_STEP}"`,
        ).catch((err: Error) => {
          throw new Error(`${err.message}; the shoot's status: ${JSON.stringify(lastSeen)}`);
        });
        t.diagnostic(`lastError: ${waiting.error.description}`);
        // Gardener's null: the field is omitted from the JSON.
        assert.equal(waiting.shoot.status.seedName ?? null, null, 'Migrate finished: status.seedName is null');
        assert.notEqual(waiting.shoot.status.lastOperation.state, 'Succeeded');
        const message = String(waiting.error.description);
        assert.match(message, /cannot copy the etcd backups/, 'the error says what failed');
        assert.match(message, /ECONNRESET|ECONNREFUSED|socket|connect|reach/i, 'and why: the store cannot be reached');
        assert.match(message, /transplant backup copy /, 'and what to do: the manual copy');
        assert.match(message, /kubectl patch -n shoot--\$\{PROJECT_NAME\}--\$\{SHOOT_NAME\} etcdcopybackupstask/);
        // It stays there: a few seconds later nothing has moved on.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const still = await getJson(l.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]);
        assert.equal(still.status.lastOperation.type, 'Restore');
        assert.notEqual(still.status.lastOperation.state, 'Succeeded');
        const etcd = await kubectl(l.seedKubeconfig('seed-b'), ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
        assert.match(etcd.stderr, /NotFound/, 'etcd is not started from an incomplete bucket');
      });

      it("the seed document's manual path finishes the Restore with every object", async (t) => {
        const seedB = l.seedKubeconfig('seed-b');
        const task = await getJson(seedB, ['get', 'etcdcopybackupstask', '-n', CONTROL_PLANE, SHOOT]);
        const sourceStore = task.spec.sourceStore;
        const targetStore = task.spec.targetStore;
        // 1.-3.: etcdbrctl copy's flags; the source is reached at its direct address from here.
        const copied = await bash(
          [
            `node ${cli} backup copy`,
            '--source-storage-provider=S3',
            `--source-store-container=${sourceStore.container}`,
            `--source-store-prefix=${sourceStore.prefix}`,
            `--source-store-endpoint-override=${sourceS3.endpoint}`,
            ...(targetS3
              ? ['--storage-provider=S3', `--store-endpoint-override=${targetS3.endpoint}`]
              : ['--storage-provider=Local']),
            // A local container is a directory, here under seed-b's backup root.
            `--store-container=${targetS3 ? targetStore.container : join(targetRoot, targetStore.container)}`,
            `--store-prefix=${targetStore.prefix}`,
            '--wait-for-final-snapshot=true',
          ].join(' '),
          { SOURCE_AWS_APPLICATION_CREDENTIALS_JSON: credentials, AWS_APPLICATION_CREDENTIALS_JSON: credentials },
        );
        assert.equal(copied.code, 0, copied.stderr);
        const names = await copiedNames(targetStore.container, `${targetStore.prefix}/v2/`);
        t.diagnostic(`copied: ${names.join(', ')}`);
        assert.ok(
          names.some((n) => n.startsWith('Full-') && !n.endsWith('.final')),
          "the final full snapshot is in seed-b's bucket, without its final marker",
        );

        // 4.: the document's command, against the destination seed's API.
        const patched = await bash(MARK_COPY_SUCCEEDED, { KUBECONFIG: seedB });
        assert.equal(patched.code, 0, patched.stderr);
        assert.match(patched.stdout, /etcdcopybackupstask.* patched/);

        // 5.: etcd-main Ready, source-etcd-backup gone; then the source BackupEntry's finalizer.
        await until(
          async () =>
            (await getJson(seedB, ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']).catch(() => undefined))?.status
              ?.ready === true,
          120_000,
          'etcd-main is Ready on seed-b',
        );
        await until(
          async () =>
            /NotFound/.test(
              (await kubectl(seedB, ['get', 'secret', '-n', CONTROL_PLANE, 'source-etcd-backup'])).stderr,
            ),
          60_000,
          'the source-etcd-backup secret is gone',
        );
        const sourceEntry = `source-${CONTROL_PLANE}--${shootUid}`;
        const entry = await getJson(seedB, ['get', 'backupentries.extensions.gardener.cloud', sourceEntry]);
        assert.ok(entry.metadata.deletionTimestamp, 'the source BackupEntry is being deleted');
        assert.ok(
          (entry.metadata.finalizers ?? []).length > 0,
          'and held by its finalizer, which needs the source store',
        );
        const released = await kubectl(seedB, [
          'patch',
          'backupentries.extensions.gardener.cloud',
          sourceEntry,
          '--type',
          'merge',
          '-p',
          '{"metadata":{"finalizers":null}}',
        ]);
        assert.equal(released.code, 0, released.stderr);

        const done = await eventually(
          async () => {
            const s = await getJson(l.garden, ['get', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT]);
            const op = s.status?.lastOperation;
            return op?.type === 'Restore' && op.state === 'Succeeded' ? s : undefined;
          },
          120_000,
          'the Restore succeeds',
        );
        assert.equal(done.status.seedName, 'seed-b');
        assert.deepEqual(done.status.lastErrors ?? [], []);
        const { items } = await client.listConfigMaps('data');
        assert.equal(items.length, versions.size);
        for (const item of items) assert.equal(item.metadata.resourceVersion, versions.get(item.metadata.name));
        const gone = await kubectl(seedB, ['get', 'backupentries.extensions.gardener.cloud', sourceEntry]);
        assert.match(gone.stderr, /NotFound/, 'the source BackupEntry is gone from seed-b');
        assert.ok(proxy.isCut, 'the seeds never reached the source store again');
      });

      /** The names of the objects under `prefix` in seed-b's store. */
      async function copiedNames(container: string, prefix: string): Promise<string[]> {
        if (!targetS3) return readdir(join(targetRoot, container, prefix));
        const listed = await targetS3.client.send(new ListObjectsV2Command({ Bucket: container, Prefix: prefix }));
        return (listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length));
      }
    },
  );
}
