/**
 * The Migrate and Restore flows as graphs: Gardener's step names, the order the protocol needs
 * (API server stopped before the final snapshot, the snapshot before the BackupEntry moves and
 * etcd is destroyed; the copy before etcd starts, etcd before the API server), the conditional
 * steps, and skip-readiness skipping the "Waiting until …" steps except the copy's; Reconcile and
 * Restore from one graph; every step one call of one component method. The flows run against
 * components whose methods only record that they ran.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '../../src/flow/flow.js';
import {
  deleteFlow,
  migrateFlow,
  type ReconcileFlowOptions,
  reconcileFlow,
} from '../../src/seed/gardenlet/shoot-flows.js';
import { recordingComponents } from '../helpers/recording-components.js';

/** Components whose every method succeeds after a short, varying delay. */
function recording() {
  return recordingComponents((call) => (call * 7) % 5).components;
}

const restoreFlow = (options: Omit<ReconcileFlowOptions, 'operation' | 'allowBackup'>) =>
  reconcileFlow(recording(), { operation: 'Restore', allowBackup: true, ...options });

interface Run {
  started: string[];
  succeeded: string[];
  skipped: string[];
}

async function run(flow: Flow): Promise<Run> {
  const result: Run = { started: [], succeeded: [], skipped: [] };
  await flow.run({
    log: (msg, fields) => {
      const task = fields.task as string | undefined;
      if (!task) return;
      if (msg === 'Started') result.started.push(task);
      if (msg === 'Succeeded') result.succeeded.push(task);
      if (msg === 'Skipped') result.skipped.push(task);
    },
  });
  return result;
}

/** `before` finished before `after` started. */
function assertBefore(r: Run, before: string, after: string): void {
  const done = r.succeeded.indexOf(before);
  const start = r.started.indexOf(after);
  assert.ok(done >= 0, `"${before}" succeeded`);
  assert.ok(start >= 0, `"${after}" started`);
  // Both lists are in time order; compare through the interleaved log by position in `started`.
  const startedAfterDone = r.started.slice(r.started.indexOf(before) + 1).includes(after);
  assert.ok(startedAfterDone, `"${after}" starts after "${before}"`);
}

const migrateSteps = [
  'Waiting until the destination seed is ready',
  'Deleting Kubernetes controller manager',
  'Deleting Kubernetes scheduler',
  'Deleting kube-apiserver deployment',
  'Deleting vpn-seed-server',
  'Waiting until kube-apiserver has been deleted',
  'Migrating extension resources',
  'Waiting until extension resources have been migrated',
  'Migrating internal domain DNS record',
  'Persisting ShootState in garden cluster',
  'Scaling etcd up',
  'Waiting until main and event etcd report readiness',
  'Creating ETCD Snapshot',
  'Migrating BackupEntry to new seed',
  'Waiting for BackupEntry to be migrated to new seed',
  'Destroying main and events etcd',
  'Waiting until main and event etcd have been destroyed',
  'Deleting extension resources from the Shoot namespace',
  'Waiting until extension resources have been deleted',
  'Deleting shoot namespace in Seed',
  'Waiting until shoot namespace in Seed has been deleted',
];

const restoreSteps = [
  'Deploying control plane namespace',
  'Initializing secrets management',
  'Deploying source backup entry',
  'Waiting until the source backup entry has been reconciled',
  'Deploying backup entry',
  'Waiting until the backup entry has been reconciled',
  "Copying etcd backups to new seed's backup bucket",
  'Waiting until etcd backups are copied',
  'Destroying copy etcd backups task resource',
  'Deploying main and events etcd',
  'Waiting until main and event etcd report readiness',
  'Destroying source backup entry',
  'Waiting until source backup entry has been deleted',
  'Deploying Shoot infrastructure',
  'Waiting until Shoot infrastructure has been reconciled',
  'Deploying internal domain DNS record',
  'Waiting until internal domain DNS record has been reconciled',
  'Deploying Kubernetes API server',
  'Waiting until Kubernetes API server rolled out',
  'Deploying Kubernetes controller manager',
  'Waiting until kube-controller-manager reports readiness',
  'Deploying Kubernetes scheduler',
  'Waiting until kube-scheduler reports readiness',
  'Deploying shoot control plane components',
  'Waiting until shoot control plane has been reconciled',
  'Hibernating control plane',
  'Destroying internal domain DNS record if hibernated',
  'Configuring worker pools',
  'Waiting until worker pools have been reconciled',
  'Deploying vpn-seed-server',
  'Waiting until the Kubernetes API server can connect to the Shoot workers',
  'Persisting ShootState in garden cluster',
];

describe('the Migrate flow', () => {
  it("has Gardener's step names and its order", async () => {
    const flow = migrateFlow(recording(), { etcdSnapshotRequired: true });
    assert.equal(flow.name, 'Shoot cluster preparation for migration');
    assert.deepEqual(flow.taskIDs, migrateSteps);
    const r = await run(flow);
    assert.deepEqual([...r.succeeded].sort(), migrateSteps.filter((s) => !wakeUpSteps.includes(s)).sort());
    assert.deepEqual(r.skipped.sort(), [...wakeUpSteps].sort(), 'an awake shoot needs no etcd woken');
    // Nothing stops before the garden confirmed the destination.
    for (const step of [
      'Deleting Kubernetes controller manager',
      'Deleting Kubernetes scheduler',
      'Deleting vpn-seed-server',
    ]) {
      assertBefore(r, 'Waiting until the destination seed is ready', step);
    }
    assertBefore(r, 'Deleting Kubernetes controller manager', 'Deleting kube-apiserver deployment');
    assertBefore(r, 'Deleting Kubernetes scheduler', 'Deleting kube-apiserver deployment');
    assertBefore(r, 'Waiting until kube-apiserver has been deleted', 'Migrating extension resources');
    assertBefore(r, 'Waiting until kube-apiserver has been deleted', 'Creating ETCD Snapshot');
    assertBefore(r, 'Waiting until extension resources have been migrated', 'Persisting ShootState in garden cluster');
    assertBefore(r, 'Creating ETCD Snapshot', 'Migrating BackupEntry to new seed');
    assertBefore(r, 'Waiting for BackupEntry to be migrated to new seed', 'Destroying main and events etcd');
    assertBefore(r, 'Persisting ShootState in garden cluster', 'Deleting extension resources from the Shoot namespace');
    assertBefore(r, 'Waiting until main and event etcd have been destroyed', 'Deleting shoot namespace in Seed');
    assertBefore(r, 'Waiting until extension resources have been deleted', 'Deleting shoot namespace in Seed');
    assertBefore(r, 'Deleting vpn-seed-server', 'Deleting shoot namespace in Seed');
  });

  it('skips the snapshot once the BackupEntry has moved (it was taken before)', async () => {
    const r = await run(migrateFlow(recording(), { etcdSnapshotRequired: false, wakeupRequired: true }));
    assert.deepEqual(r.skipped.sort(), ['Creating ETCD Snapshot', ...wakeUpSteps].sort());
    assert.ok(r.succeeded.includes('Migrating BackupEntry to new seed'));
  });

  it('of a hibernated shoot runs its etcd again for the final snapshot, not its API server', async () => {
    const recorder = recordingComponents();
    const r = await run(migrateFlow(recorder.components, { etcdSnapshotRequired: true, wakeupRequired: true }));
    assert.deepEqual(r.skipped, []);
    assertBefore(r, 'Scaling etcd up', 'Waiting until main and event etcd report readiness');
    assertBefore(r, 'Waiting until main and event etcd report readiness', 'Creating ETCD Snapshot');
    assert.ok(!recorder.calls.includes('kubeApiServer.deploy'));
  });
});

/** The Migrate's steps for a hibernated shoot only. */
const wakeUpSteps = ['Scaling etcd up', 'Waiting until main and event etcd report readiness'];

/** The Reconcile's and Restore's steps for a hibernated shoot only. */
const hibernationSteps = ['Destroying internal domain DNS record if hibernated', 'Hibernating control plane'];

/** What a hibernated shoot's control plane does not deploy: the API server, its controllers, the DNS record, the VPN. */
const awakeOnlySteps = [
  'Deploying Kubernetes API server',
  'Deploying Kubernetes controller manager',
  'Deploying Kubernetes scheduler',
  'Deploying internal domain DNS record',
  'Deploying vpn-seed-server',
  'Waiting until Kubernetes API server rolled out',
  'Waiting until internal domain DNS record has been reconciled',
  'Waiting until kube-controller-manager reports readiness',
  'Waiting until kube-scheduler reports readiness',
  'Waiting until the Kubernetes API server can connect to the Shoot workers',
];

describe('the Restore flow', () => {
  it("has Gardener's step names and its order", async () => {
    const flow = restoreFlow({ copyRequired: true, skipReadiness: false });
    assert.equal(flow.name, 'Shoot cluster restoration');
    assert.deepEqual(flow.taskIDs, restoreSteps);
    const r = await run(flow);
    assert.deepEqual([...r.succeeded].sort(), restoreSteps.filter((s) => !hibernationSteps.includes(s)).sort());
    assertBefore(r, 'Deploying control plane namespace', 'Deploying source backup entry');
    assertBefore(r, 'Waiting until the source backup entry has been reconciled', 'Deploying backup entry');
    assertBefore(
      r,
      'Waiting until the backup entry has been reconciled',
      "Copying etcd backups to new seed's backup bucket",
    );
    assertBefore(r, 'Waiting until etcd backups are copied', 'Destroying copy etcd backups task resource');
    assertBefore(r, 'Destroying copy etcd backups task resource', 'Deploying main and events etcd');
    assertBefore(r, 'Initializing secrets management', 'Deploying main and events etcd');
    assertBefore(r, 'Waiting until main and event etcd report readiness', 'Destroying source backup entry');
    assertBefore(r, 'Waiting until main and event etcd report readiness', 'Deploying Kubernetes API server');
    assertBefore(
      r,
      'Waiting until Kubernetes API server rolled out',
      'Waiting until the Kubernetes API server can connect to the Shoot workers',
    );
    assertBefore(r, 'Waiting until Kubernetes API server rolled out', 'Configuring worker pools');
    assertBefore(r, 'Waiting until Kubernetes API server rolled out', 'Deploying Kubernetes controller manager');
    assertBefore(r, 'Waiting until Kubernetes API server rolled out', 'Deploying Kubernetes scheduler');
    assertBefore(r, 'Initializing secrets management', 'Deploying vpn-seed-server');
    assertBefore(
      r,
      'Deploying vpn-seed-server',
      'Waiting until the Kubernetes API server can connect to the Shoot workers',
    );
    assertBefore(
      r,
      'Waiting until worker pools have been reconciled',
      'Waiting until the Kubernetes API server can connect to the Shoot workers',
    );
  });

  it('skips the source entry and the copy when the backups are already in this seed', async () => {
    const r = await run(restoreFlow({ copyRequired: false, skipReadiness: false }));
    assert.deepEqual(
      r.skipped.sort(),
      [
        "Copying etcd backups to new seed's backup bucket",
        'Deploying source backup entry',
        'Destroying copy etcd backups task resource',
        'Waiting until etcd backups are copied',
        'Waiting until the source backup entry has been reconciled',
        ...hibernationSteps,
      ].sort(),
    );
    assert.ok(r.succeeded.includes('Destroying source backup entry'), 'a leftover source entry still goes');
  });

  it('skip-readiness skips every "Waiting until …" step but the copy', async () => {
    const r = await run(restoreFlow({ copyRequired: true, skipReadiness: true }));
    const waits = restoreSteps.filter(
      (s) => s.startsWith('Waiting until') && s !== 'Waiting until etcd backups are copied',
    );
    assert.deepEqual(r.skipped.sort(), [...waits, ...hibernationSteps].sort());
    assert.ok(r.succeeded.includes('Waiting until etcd backups are copied'));
  });

  it('of a hibernated shoot restores etcd, then hibernates: no API server, no VPN, machines configured after', async () => {
    const r = await run(restoreFlow({ copyRequired: true, skipReadiness: false, hibernated: true }));
    assert.deepEqual(r.skipped.sort(), [...awakeOnlySteps].sort());
    assertBefore(r, 'Waiting until main and event etcd report readiness', 'Hibernating control plane');
    assertBefore(r, 'Hibernating control plane', 'Configuring worker pools');
    assertBefore(r, 'Hibernating control plane', 'Destroying internal domain DNS record if hibernated');
    assertBefore(r, 'Waiting until worker pools have been reconciled', 'Persisting ShootState in garden cluster');
  });
});

describe('the Reconcile flow of a hibernated shoot', () => {
  it('takes the control plane down before the machines, and deploys nothing that needs the API server', async () => {
    const recorder = recordingComponents();
    const flow = reconcileFlow(recorder.components, {
      operation: 'Reconcile',
      allowBackup: true,
      skipReadiness: false,
      hibernated: true,
    });
    const r = await run(flow);
    assert.deepEqual(r.skipped.sort(), [...awakeOnlySteps, ...restoreOnlySteps].sort());
    assert.ok(recorder.calls.includes('hibernation.hibernate'));
    assert.ok(recorder.calls.indexOf('hibernation.hibernate') < recorder.calls.indexOf('worker.deploy'));
  });
});

/** What a Reconcile skips without skip-readiness: the steps only a Restore takes. */
const restoreOnlySteps = [
  "Copying etcd backups to new seed's backup bucket",
  'Deploying source backup entry',
  'Destroying copy etcd backups task resource',
  'Destroying source backup entry',
  'Waiting until etcd backups are copied',
  'Waiting until source backup entry has been deleted',
  'Waiting until the source backup entry has been reconciled',
];

describe('the Reconcile flow with skip-readiness', () => {
  it('skips every "Waiting until …" step', async () => {
    const flow = reconcileFlow(recording(), { operation: 'Reconcile', allowBackup: true, skipReadiness: true });
    const r = await run(flow);
    const waits = flow.taskIDs.filter((s) => s.startsWith('Waiting until'));
    assert.ok(waits.length >= 5);
    assert.deepEqual(r.skipped.sort(), [...new Set([...waits, ...restoreOnlySteps, ...hibernationSteps])].sort());
  });
});

describe('Reconcile and Restore from one graph', () => {
  const options = { allowBackup: true, skipReadiness: false };
  const reconcile = reconcileFlow(recording(), { operation: 'Reconcile', ...options });
  const restore = reconcileFlow(recording(), { operation: 'Restore', copyRequired: true, ...options });

  it('declare the same steps under the same names, only the flow name differs', () => {
    assert.deepEqual(reconcile.taskIDs, restore.taskIDs);
    assert.equal(reconcile.name, 'Shoot cluster reconciliation');
    assert.equal(restore.name, 'Shoot cluster restoration');
  });

  it('a Reconcile skips exactly the restore-only steps (and, awake, the hibernation steps)', async () => {
    const r = await run(reconcile);
    assert.deepEqual(r.skipped.sort(), [...restoreOnlySteps, ...hibernationSteps].sort());
  });

  it('a Restore restores what a Reconcile deploys: the extension resources and the backup entry', async () => {
    const calls = async (operation: 'Reconcile' | 'Restore') => {
      const recorder = recordingComponents();
      await reconcileFlow(recorder.components, { operation, copyRequired: true, ...options }).run();
      return recorder.calls;
    };
    const [reconciled, restored] = [await calls('Reconcile'), await calls('Restore')];
    for (const component of ['infrastructure', 'internalDnsRecord', 'controlPlane', 'worker', 'backupEntry']) {
      assert.ok(reconciled.includes(`${component}.deploy`) && !reconciled.includes(`${component}.restore`));
      assert.ok(restored.includes(`${component}.restore`) && !restored.includes(`${component}.deploy`));
    }
  });
});

describe('every step of every flow', () => {
  const flows = [
    [
      'Create',
      (c: ReturnType<typeof recording>) =>
        reconcileFlow(c, { operation: 'Create', allowBackup: true, skipReadiness: false }),
    ],
    [
      'Restore',
      (c: ReturnType<typeof recording>) =>
        reconcileFlow(c, { operation: 'Restore', allowBackup: true, copyRequired: true, skipReadiness: false }),
    ],
    [
      'Reconcile, hibernated',
      (c: ReturnType<typeof recording>) =>
        reconcileFlow(c, { operation: 'Reconcile', allowBackup: true, skipReadiness: false, hibernated: true }),
    ],
    ['Migrate', (c: ReturnType<typeof recording>) => migrateFlow(c, { etcdSnapshotRequired: true })],
    [
      'Migrate, hibernated',
      (c: ReturnType<typeof recording>) => migrateFlow(c, { etcdSnapshotRequired: true, wakeupRequired: true }),
    ],
    ['Delete', (c: ReturnType<typeof recording>) => deleteFlow(c)],
  ] as const;

  for (const [operation, build] of flows) {
    it(`${operation}: is one call of one component method`, async () => {
      const { components, calls } = recordingComponents();
      const flow = build(components);
      const perStep = new Map<string, string[]>();
      let seen = 0;
      const result = await flow.run({
        log: (msg, fields) => {
          if (msg !== 'Succeeded' || typeof fields.task !== 'string') return;
          perStep.set(fields.task, calls.slice(seen));
          seen = calls.length;
        },
        concurrency: 1,
      });
      assert.equal(perStep.size, flow.taskIDs.length - result.skipped.length);
      assert.ok(perStep.size > 10);
      for (const [step, made] of perStep) assert.equal(made.length, 1, `"${step}" calls ${JSON.stringify(made)}`);
    });
  }
});
