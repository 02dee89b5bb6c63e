/**
 * Control plane migration on a real landscape (garden, seed-a, seed-b, real etcds, local
 * buckets): a shoot holding 10k ConfigMaps is moved from seed-a to seed-b with the seed
 * document's trigger command, verbatim, through bash with the real kubectl and jq. Migrate runs
 * on seed-a, then Restore on seed-b; afterwards the kubeconfig issued before the move sees every
 * object at its resourceVersion (one applied server-side and changed by a second manager identical,
 * managedFields included), nothing of the control plane is left on seed-a, and new backups go to
 * seed-b's bucket. `/metrics` shows it as it happens and afterwards: the garden the operation
 * states (scraped during the move), seed-a the Migrate's step durations, seed-b the Restore's, the
 * API's downtime, the bytes copied and the new backups, and the shoot's API server's own.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shootResource } from '../../src/api/core-gardener/shoot.js';
import { etcdResource } from '../../src/api/druid/etcd.js';
import { openSnapstore } from '../../src/backup/snapstore/open-snapstore.js';
import { decodeSecretData, snapstoreConfigFor } from '../../src/backup/store-secret.js';
import { checked } from '../../src/client/client.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { RestClient } from '../../src/client/rest-client.js';
import { type Json, rawRequest } from '../helpers/api-client.js';
import { entryObjects } from '../helpers/backup-buckets.js';
import { bash, kubectl } from '../helpers/kubectl.js';
import { examplesDir, startLandscape, type TestLandscape } from '../helpers/landscape.js';
import { etcdPidsUnder, eventually } from '../helpers/processes.js';
import { parsePrometheusText, type Sample, samplesOf, sampleValue } from '../helpers/prometheus-text.js';
import { type ShootClient, shootClient } from '../helpers/shoot-client.js';

const NAMESPACE = 'garden-dev';
const SHOOT = 'my-shoot';
const CONTROL_PLANE = 'shoot--dev--my-shoot';
const CONFIG_MAPS = 10_000;

/** The seed document's trigger command, verbatim. */
const TRIGGER = `kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME} | jq -c '.spec.seedName = "'\${DEST_SEED_NAME}'"' | kubectl replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/\${NAMESPACE}/shoots/\${SHOOT_NAME}/binding -f - | jq -r '.spec.seedName'`;

/** The samples of the `/metrics` of the kubeconfig's server (as its user, the operator or a seed's admin). */
async function scrape(kubeconfig: string): Promise<Sample[]> {
  const res = await rawRequest(kubeconfig, 'GET', '/metrics');
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${res.text}`);
  return parsePrometheusText(res.text);
}

/**
 * Scrapes the garden's `/metrics` every `intervalMs` until the returned function is called, which
 * answers every `operation=state` of the shoot's `garden_shoot_operation_states` seen meanwhile.
 */
function scrapeOperationStates(kubeconfig: string, intervalMs: number): () => Promise<Set<string>> {
  const seen = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const samples = await scrape(kubeconfig).catch(() => []);
      for (const s of samplesOf(samples, 'garden_shoot_operation_states', { name: SHOOT, project: 'dev' })) {
        if (s.value > 0) seen.add(`${s.labels.operation}=${s.value}`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return seen;
  };
}

async function getJson(kubeconfig: string, args: string[]): Promise<Json> {
  const res = await kubectl(kubeconfig, [...args, '-o', 'json']);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

describe('control plane migration from seed-a to seed-b', () => {
  let l: TestLandscape;
  let client: ShootClient;
  let oldKubeconfig: string;
  let versions: Map<string, string>;
  let shootUid: string;
  /** The shoot's operation states (`Restore=2`: Processing) the garden's /metrics showed during the move. */
  let statesDuringMove: Set<string>;
  /** A ConfigMap applied server-side and patched by a second manager, as read before the move. */
  let applied: Json;
  const appliedArgs = ['get', 'configmap', 'applied', '-n', 'default', '--show-managed-fields'];

  before(async () => {
    l = await startLandscape({ seeds: ['seed-a', 'seed-b'] });
    for (const file of ['10-project.yaml', '30-shoot.yaml']) {
      const applied = await kubectl(l.garden, ['apply', '-f', join(examplesDir, file)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    const created = await l.waitForOperation(NAMESPACE, SHOOT, 'Create', 120_000);
    assert.equal(created.status.seedName, 'seed-a');
    shootUid = created.metadata.uid;
    oldKubeconfig = await l.adminKubeconfig(NAMESPACE, SHOOT, join(l.dir, 'shoot-before-migration.kubeconfig'));
    client = await shootClient(oldKubeconfig);
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'bulk' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    versions = await client.createConfigMaps('bulk', 'cm', CONFIG_MAPS);
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'default' } };
    const ssa = await kubectl(
      oldKubeconfig,
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({ ...manifest, data: { a: '1', b: '2' } }),
    );
    assert.equal(ssa.code, 0, ssa.stderr);
    const patched = await kubectl(oldKubeconfig, ['patch', ...appliedArgs.slice(1, 5), '-p', '{"data":{"b":"3"}}']);
    assert.equal(patched.code, 0, patched.stderr);
    applied = await getJson(oldKubeconfig, appliedArgs);
    assert.deepEqual(
      applied.metadata.managedFields.map((e: Json) => `${e.manager}/${e.operation}`),
      ['kubectl/Apply', 'kubectl-patch/Update'],
    );
  });

  after(async () => {
    client?.close();
    await l?.stop();
  });

  const MIGRATE_STEP =
    /^Migrate Processing \d+ .*(kube-apiserver|extension resources|ShootState|ETCD Snapshot|BackupEntry|etcd|namespace)/;
  const RESTORE_STEP =
    /^Restore Processing \d+ .*(namespace|secrets|backup entry|BackupEntry|etcd|Kubernetes API server)/;

  it("the seed document's command moves the shoot: Migrate on seed-a, then Restore on seed-b, progress shown", async (t) => {
    // Every lastOperation the gardenlets write, from a watch: the Migrate takes well under a
    // second, too short to be sure to sample it.
    const garden = new RestClient(loadKubeconfig(l.garden));
    const shoots = garden.resource(shootResource);
    const before = await shoots.get(NAMESPACE, SHOOT);
    const watch = await shoots.watch(NAMESPACE, {
      fieldSelector: `metadata.name=${SHOOT}`,
      resourceVersion: before.metadata.resourceVersion,
    });
    const stopScraping = scrapeOperationStates(l.garden, 200);
    const triggeredAt = Date.now();
    const triggered = await bash(TRIGGER, {
      KUBECONFIG: l.garden,
      NAMESPACE,
      SHOOT_NAME: SHOOT,
      DEST_SEED_NAME: 'seed-b',
    });
    assert.equal(triggered.code, 0, triggered.stderr);
    assert.equal(triggered.stdout, 'seed-b\n');

    const seen: string[] = [];
    let done: Json | undefined;
    const timeout = setTimeout(() => watch.stop(), 150_000);
    for await (const event of watch) {
      const shoot = event.object as Json;
      const last = shoot.status?.lastOperation;
      const line = `${last?.type} ${last?.state} ${last?.progress} ${last?.description}`;
      if (seen.at(-1) !== line) seen.push(line);
      if (last?.type === 'Restore' && last.state === 'Succeeded') {
        done = shoot;
        break;
      }
    }
    clearTimeout(timeout);
    watch.stop();
    garden.close();
    statesDuringMove = await stopScraping();
    assert.ok(done, `the Restore on seed-b has succeeded; seen:\n${seen.join('\n')}`);
    t.diagnostic(`trigger to Restore Succeeded: ${Date.now() - triggeredAt} ms; lastOperation as polled:`);
    for (const line of seen) t.diagnostic(line);
    const migrating = seen.filter((s) => s.startsWith('Migrate Processing'));
    const restoring = seen.filter((s) => s.startsWith('Restore Processing'));
    assert.ok(migrating.length > 0 && restoring.length > 0, `progress seen:\n${seen.join('\n')}`);
    assert.ok(
      seen.some((s) => MIGRATE_STEP.test(s)),
      `a Migrate description names its running steps:\n${seen.join('\n')}`,
    );
    assert.ok(
      seen.some((s) => RESTORE_STEP.test(s)),
      `a Restore description names its running steps:\n${seen.join('\n')}`,
    );
    assert.equal(done.status.seedName, 'seed-b');
    assert.equal(done.status.lastOperation.progress, 100);
    assert.deepEqual(done.status.lastErrors ?? [], []);
  });

  it("/metrics: the garden's operation states during and after the move, the seeds' step durations, downtime, copy and backups", async (t) => {
    t.diagnostic(`garden_shoot_operation_states seen during the move: ${[...statesDuringMove].join(', ')}`);
    assert.ok(
      statesDuringMove.has('Migrate=2') || statesDuringMove.has('Restore=2'),
      'a scrape during the move showed the Migrate or the Restore Processing',
    );
    const shoot = { name: SHOOT, project: 'dev', technical_id: CONTROL_PLANE };
    const garden = await scrape(l.garden);
    assert.equal(sampleValue(garden, 'garden_shoot_operation_states', { ...shoot, operation: 'Restore' }), 1);
    assert.equal(sampleValue(garden, 'garden_shoot_operation_states', { ...shoot, operation: 'Migrate' }), 0);
    assert.equal(
      sampleValue(garden, 'garden_shoot_operation_progress_percent', { ...shoot, operation: 'Restore' }),
      100,
    );

    const key = `${NAMESPACE}/${SHOOT}`;
    const steps = (samples: Sample[], flow: string) =>
      new Map(
        samplesOf(samples, 'transplant_migration_step_duration_seconds', { shoot: key, flow }).map((s) => [
          s.labels.step,
          s.value,
        ]),
      );
    const seedA = await scrape(l.seedKubeconfig('seed-a'));
    const migrate = steps(seedA, 'Shoot cluster preparation for migration');
    for (const step of [
      'Deleting kube-apiserver deployment',
      'Creating ETCD Snapshot',
      'Migrating BackupEntry to new seed',
    ]) {
      assert.ok((migrate.get(step) ?? -1) >= 0, `seed-a: the duration of "${step}"`);
    }
    const seedB = await scrape(l.seedKubeconfig('seed-b'));
    const restore = steps(seedB, 'Shoot cluster restoration');
    for (const step of [
      'Waiting until etcd backups are copied',
      'Deploying main and events etcd',
      'Deploying Kubernetes API server',
    ]) {
      assert.ok((restore.get(step) ?? -1) >= 0, `seed-b: the duration of "${step}"`);
    }
    const downtime = sampleValue(seedB, 'transplant_migration_api_downtime_seconds', { shoot: key });
    t.diagnostic(
      `API downtime ${downtime} s; copied ${sampleValue(seedB, 'transplant_migration_backup_bytes_copied_total', { shoot: key })} bytes`,
    );
    assert.ok(downtime > 0 && downtime < 120, `downtime ${downtime} s`);
    assert.ok(sampleValue(seedB, 'transplant_migration_backup_bytes_copied_total', { shoot: key }) > 0);
    const etcd = { namespace: CONTROL_PLANE, etcd: 'etcd-main' };
    assert.equal(sampleValue(seedB, 'etcdbr_restoration_duration_seconds_count', { ...etcd, succeeded: 'true' }), 1);
    assert.ok(sampleValue(seedB, 'etcdbr_snapshot_latest_revision', { ...etcd, kind: 'Full' }) > 0);
    assert.deepEqual(samplesOf(seedA, 'etcdbr_snapshot_latest_revision', etcd), [], 'seed-a no longer backs it up');

    // The shoot's API server behind seed-b: listed for discovery there, no longer on seed-a.
    const listed = async (seed: string) =>
      (await rawRequest(l.seedKubeconfig(seed), 'GET', '/metrics/shoots')).json.map((t: Json) => t.labels.technical_id);
    assert.deepEqual(await listed('seed-b'), [CONTROL_PLANE]);
    assert.deepEqual(await listed('seed-a'), []);
    const api = await rawRequest(l.seedKubeconfig('seed-b'), 'GET', `/metrics/shoots/${CONTROL_PLANE}`);
    assert.equal(api.status, 200, api.text);
    const requests = samplesOf(api.text, 'apiserver_request_total').reduce((sum, s) => sum + s.value, 0);
    assert.ok(requests > 0, "the shoot's API server on seed-b counted its requests");
  });

  it('through the kubeconfig issued before the move, every object is there at its resourceVersion', async () => {
    const { items } = await client.listConfigMaps('bulk');
    const found = new Map(items.map((cm: Json) => [cm.metadata.name, cm.metadata.resourceVersion]));
    assert.equal(found.size, CONFIG_MAPS);
    for (const [name, version] of versions) assert.equal(found.get(name), version, `${name} kept its resourceVersion`);
    const viaKubectl = await kubectl(oldKubeconfig, ['get', 'configmap', '-n', 'bulk', 'cm-9999', '-o', 'json']);
    assert.equal(viaKubectl.code, 0, viaKubectl.stderr);
    assert.equal(JSON.parse(viaKubectl.stdout).metadata.resourceVersion, versions.get('cm-9999'));
    assert.deepEqual(await getJson(oldKubeconfig, appliedArgs), applied, 'identical, managedFields included');
  });

  it('leaves no etcd, data directory or namespace of the shoot on seed-a; runs it on seed-b', async () => {
    const seedA = l.seedKubeconfig('seed-a');
    assert.deepEqual(await etcdPidsUnder(join(l.dir, 'seeds', 'seed-a')), []);
    assert.equal(existsSync(join(l.dir, 'seeds', 'seed-a', 'state', 'controlplanes', CONTROL_PLANE)), false);
    const ns = await kubectl(seedA, ['get', 'namespace', CONTROL_PLANE]);
    assert.notEqual(ns.code, 0);
    assert.match(ns.stderr, /NotFound/);
    assert.equal((await etcdPidsUnder(join(l.dir, 'seeds', 'seed-b'))).length, 1);
    const etcd = await getJson(l.seedKubeconfig('seed-b'), ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
    assert.equal(etcd.status.ready, true);
    // seed-a's controller manager handed its Lease back before the final snapshot; seed-b's took it.
    const lease = await eventually(
      async () => {
        const got = await getJson(oldKubeconfig, ['get', 'lease', '-n', 'kube-system', 'kube-controller-manager']);
        return /^seed-b_/.test(got.spec.holderIdentity) ? got : undefined;
      },
      30_000,
      "seed-b's kube-controller-manager holds its Lease",
    );
    assert.ok(lease.spec.leaseTransitions >= 1);
  });

  it("moves the BackupEntry into seed-b's bucket, removes the source entry and keeps the ShootState", async () => {
    const seedB = await getJson(l.garden, ['get', 'seed', 'seed-b']);
    const entryName = `${CONTROL_PLANE}--${shootUid}`;
    const entry = await getJson(l.garden, ['get', 'backupentry', '-n', NAMESPACE, entryName]);
    assert.deepEqual(entry.spec, { bucketName: seedB.metadata.uid, seedName: 'seed-b' });
    assert.equal(entry.status.seedName, 'seed-b');
    const source = await kubectl(l.garden, ['get', 'backupentry', '-n', NAMESPACE, `source-${entryName}`]);
    assert.match(source.stderr, /NotFound/);
    // The source entry's deletion deleted the source copy, once the destination held all of it.
    assert.deepEqual(await entryObjects(l, 'seed-a', entryName), [], "seed-a's bucket holds nothing of the shoot");
    assert.ok((await entryObjects(l, 'seed-b', entryName)).length > 0, "seed-b's bucket holds the backups");
    const copyTask = await kubectl(l.seedKubeconfig('seed-b'), [
      'get',
      'etcdcopybackupstask',
      '-n',
      CONTROL_PLANE,
      SHOOT,
    ]);
    assert.match(copyTask.stderr, /NotFound/);
    const state = await getJson(l.garden, ['get', 'shootstate', '-n', NAMESPACE, SHOOT]);
    assert.ok(
      state.spec.gardener.some((g: Json) => g.name === 'ca'),
      'the ShootState keeps the CA',
    );
  });

  it("takes new backups into seed-b's bucket", async () => {
    const seedB = l.seedKubeconfig('seed-b');
    const etcd = await getJson(seedB, ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
    const spec = checked(etcdResource, etcd).spec.backup.store;
    assert.ok(spec, 'etcd-main has a backup store');
    assert.equal(spec.container, (await getJson(l.garden, ['get', 'seed', 'seed-b'])).metadata.uid);
    const secret = await getJson(seedB, ['get', 'secret', '-n', CONTROL_PLANE, 'etcd-backup']);
    const store = await openSnapstore(snapstoreConfigFor(spec, decodeSecretData(secret), 'etcd-backup'));
    const written = await client.request('POST', '/api/v1/namespaces/bulk/configmaps', {
      metadata: { name: 'after-migration' },
      data: { written: 'on seed-b' },
    });
    assert.equal(written.status, 201, JSON.stringify(written.body));
    const revision = Number(written.body.metadata.resourceVersion);
    await eventually(
      async () => ((await store.list()).some((o) => o.snapshot.lastRevision >= revision) ? true : undefined),
      60_000,
      `a snapshot in seed-b's bucket covers revision ${revision}`,
    );
  });
});
