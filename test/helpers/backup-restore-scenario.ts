/**
 * The backup issue's end-to-end scenario, for either backup provider: a shoot on a real landscape
 * gets 10k ConfigMaps through its API; once the backups cover the last write, its etcd is killed
 * (-9) and its data dir destroyed; the druid restores it from the bucket and the control plane
 * comes back with every object at its resourceVersion and etcd at least at the last backed-up
 * revision. (The shoot is never quite still: its kube-controller-manager renews its Lease every
 * 2 s, so etcd's revision moves on beyond the test's own writes.)
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { etcdResource } from '../../src/api/druid/etcd.js';
import { openSnapstore } from '../../src/backup/snapstore/open-snapstore.js';
import type { Snapstore } from '../../src/backup/snapstore/snapstore.js';
import { decodeSecretData, snapstoreConfigFor } from '../../src/backup/store-secret.js';
import { checked } from '../../src/client/client.js';
import { isProcessAlive } from '../../src/process/processes.js';
import type { EtcdState } from '../../src/seed/druid/etcd-state.js';
import type { Json } from './api-client.js';
import { kubectl } from './kubectl.js';
import {
  exampleShootManifest,
  examplesDir,
  type LandscapeOptions,
  startLandscape,
  type TestLandscape,
} from './landscape.js';
import { alive, eventually } from './processes.js';
import { type ShootClient, shootClient } from './shoot-client.js';

export const SHOOT_NAMESPACE = 'garden-dev';
export const SHOOT = 'my-shoot';
export const CONTROL_PLANE = 'shoot--dev--my-shoot';
/** The backup issue's figure: 10k keys written, destroyed, restored. */
export const SCENARIO_KEYS = 10_000;

export interface BackupScenario {
  landscape: TestLandscape;
  client: ShootClient;
  /** The shoot's backup store, opened as the druid opens it (from the Etcd's store spec and `etcd-backup`). */
  store: Snapstore;
  /** resourceVersion of each ConfigMap when it was created. */
  versions: Map<string, string>;
  /** The etcd revision after the last write. */
  lastRevision: number;
  killEtcdAndDestroyData(): Promise<void>;
  etcd(): Promise<Json>;
}

async function getJson(kubeconfig: string, args: string[]): Promise<Json> {
  const res = await kubectl(kubeconfig, [...args, '-o', 'json']);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** Sets up the scenario in `before` and tears it down in `after`; the returned getter is valid in tests. */
export function backupScenario(
  options: () => Promise<LandscapeOptions & { cleanup?: () => Promise<void> }>,
  keys = SCENARIO_KEYS,
): () => BackupScenario {
  let scenario: BackupScenario | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  let landscape: TestLandscape | undefined;

  before(async () => {
    const resolved = await options();
    cleanup = resolved.cleanup;
    landscape = await startLandscape(resolved);
    const l = landscape;
    const project = await kubectl(l.garden, ['apply', '-f', join(examplesDir, '10-project.yaml')]);
    assert.equal(project.code, 0, project.stderr);
    // No machines: besides the test's writes only the controller manager's Lease changes.
    const shoot = await kubectl(l.garden, ['apply', '-f', '-'], await exampleShootManifest(0));
    assert.equal(shoot.code, 0, shoot.stderr);
    await l.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Create', 120_000);
    const client = await shootClient(await l.adminKubeconfig(SHOOT_NAMESPACE, SHOOT, join(l.dir, 'shoot.kubeconfig')));
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'bulk' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    const versions = await client.createConfigMaps('bulk', 'cm', keys);
    const lastRevision = Number((await client.listConfigMaps('bulk')).resourceVersion);

    const seed = l.seedKubeconfig('seed-a');
    const etcd = () => getJson(seed, ['get', 'etcd', '-n', CONTROL_PLANE, 'etcd-main']);
    const spec = checked(etcdResource, await etcd()).spec.backup.store;
    assert.ok(spec, 'etcd-main has a backup store');
    const secret = await getJson(seed, ['get', 'secret', '-n', CONTROL_PLANE, 'etcd-backup']);
    const store = await openSnapstore(snapstoreConfigFor(spec, decodeSecretData(secret), 'etcd-backup'));
    const etcdDir = l.etcdDir('seed-a', CONTROL_PLANE, 'etcd-main');
    scenario = {
      landscape: l,
      client,
      store,
      versions,
      lastRevision,
      etcd,
      async killEtcdAndDestroyData() {
        const state = JSON.parse(await readFile(join(etcdDir, 'etcd.json'), 'utf8')) as EtcdState;
        assert.ok(state.pid && alive(state.pid), 'etcd runs before the kill');
        // The seed is frozen meanwhile: its druid would otherwise start etcd again on the data dir
        // while it is being removed. The disk is lost together with the process, as on a machine.
        const seedPid = (await l.file()).seeds['seed-a']?.pid;
        assert.ok(seedPid && alive(seedPid), 'seed-a runs');
        process.kill(seedPid, 'SIGSTOP');
        try {
          process.kill(state.pid, 'SIGKILL');
          // Gone or a zombie: its parent, the frozen seed, reaps it once it runs again.
          await eventually(async () => (isProcessAlive(state.pid!) ? undefined : true), 10_000, 'etcd is gone');
          await rm(state.dataDir, { recursive: true, force: true });
        } finally {
          process.kill(seedPid, 'SIGCONT');
        }
      },
    };
  });

  after(async () => {
    scenario?.client.close();
    await landscape?.stop();
    await cleanup?.();
  });

  return () => {
    if (!scenario) throw new Error('the scenario did not set up');
    return scenario;
  };
}

/** Waits until the store's newest snapshot reaches `revision`; returns that snapshot's last revision. */
export async function waitUntilBackedUp(store: Snapstore, revision: number): Promise<number> {
  return eventually(
    async () => {
      const newest = (await store.list()).at(-1);
      return newest && newest.snapshot.lastRevision >= revision ? newest.snapshot.lastRevision : undefined;
    },
    90_000,
    `a snapshot up to revision ${revision}`,
  );
}

/** Every ConfigMap is back at its resourceVersion, and etcd holds every revision up to `revision`. */
export async function assertAllBack(s: BackupScenario, revision: number): Promise<void> {
  const listed = await eventually(
    async () => s.client.listConfigMaps('bulk').catch(() => undefined),
    180_000,
    'the shoot API serves again after the restore',
  );
  assert.equal(listed.items.length, s.versions.size, 'every ConfigMap is back');
  for (const item of listed.items) {
    assert.equal(
      item.metadata.resourceVersion,
      s.versions.get(item.metadata.name),
      `${item.metadata.name} keeps its resourceVersion`,
    );
    assert.equal(item.data.payload, `value of ${item.metadata.name}`);
  }
  assert.ok(
    Number(listed.resourceVersion) >= revision,
    `etcd (at ${listed.resourceVersion}) holds every revision backed up (${revision})`,
  );
}

/** The shared test: backups, kill, destroy, restore, compare. */
export function itRestoresAfterDataLoss(
  get: () => BackupScenario,
  keys = SCENARIO_KEYS,
  options: { skip?: string | false } = {},
): void {
  it(`restores ${keys} keys at their resourceVersions after the etcd data dir is destroyed`, options, async () => {
    const s = get();
    const backedUp = await waitUntilBackedUp(s.store, s.lastRevision);
    assert.ok(backedUp >= s.lastRevision, 'the backups cover the last ConfigMap');
    const names = (await s.store.list()).map((o) => o.snapshot.name);
    assert.ok(
      names.some((n) => n.startsWith('Full-')),
      `a full snapshot: ${names.join(', ')}`,
    );
    await s.killEtcdAndDestroyData();
    await assertAllBack(s, backedUp);
    const etcd = await s.etcd();
    assert.equal(etcd.status.ready, true);
  });
}
