/**
 * The live migration's flows as graphs: the order the handshake needs on each seed (the source
 * publishes its members only after persisting the secrets, releases the endpoint before it stops
 * its controllers and VPN, hands etcd over only after the leader moved, tears down only after its
 * members were removed; the destination hashes its data before the point of no return, moves the leader
 * only after the endpoint, checks a source member against that hash once the source released the
 * control plane and only then removes the source's members), the
 * steps a restarted source skips, and the abort's order. The flows run against components whose
 * methods only record that they ran.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flow } from '../../src/flow/flow.js';
import {
  liveMigrateFlow,
  liveMigrationAbortFlow,
  liveMigrationDestinationFlow,
} from '../../src/seed/gardenlet/shoot-flows.js';
import { recordingComponents } from '../helpers/recording-components.js';

interface Run {
  calls: string[];
  skipped: string[];
}

async function run(build: (c: ReturnType<typeof recordingComponents>['components']) => Flow): Promise<Run> {
  const { components, calls } = recordingComponents((call) => (call * 7) % 5);
  const skipped: string[] = [];
  await build(components).run({
    log: (msg, fields) => {
      if (msg === 'Skipped') skipped.push(fields.task as string);
    },
  });
  return { calls, skipped };
}

/** `before` was called before `after` (each called once). */
function assertBefore(r: Run, before: string, after: string): void {
  const [b, a] = [r.calls.indexOf(before), r.calls.indexOf(after)];
  assert.ok(b >= 0 && a >= 0, `${before} and ${after} were called: ${r.calls.join(', ')}`);
  assert.ok(b < a, `${before} before ${after}`);
}

describe('the live Migrate flow (source)', () => {
  it('publishes, releases, hands over and tears down in the handshake order', async () => {
    const r = await run((c) => liveMigrateFlow(c, { endpointReleased: false }));
    assert.deepEqual(r.skipped, []);
    assertBefore(r, 'destinationSeed.waitReady', 'liveEtcd.publishMembers');
    assertBefore(r, 'shootState.deploy', 'liveEtcd.publishMembers');
    assertBefore(r, 'endpointSwitch.serveUntilReleased', 'endpointSwitch.release');
    assertBefore(r, 'liveEtcd.publishMembers', 'endpointSwitch.release');
    // The controllers stop before the endpoint moves: they never talk to the destination.
    for (const stop of ['kubeControllerManager.destroy', 'kubeScheduler.destroy']) {
      assertBefore(r, 'liveMigration.waitSwitchingEndpoint', stop);
      assertBefore(r, stop, 'endpointSwitch.release');
    }
    assertBefore(r, 'endpointSwitch.release', 'kubeApiServer.destroy');
    assertBefore(r, 'endpointSwitch.release', 'vpnSeedServer.destroy');
    assertBefore(r, 'kubeApiServer.destroy', 'liveEtcd.handOver');
    assertBefore(r, 'vpnSeedServer.destroy', 'liveEtcd.handOver');
    assertBefore(r, 'liveMigration.waitLeaderMoved', 'liveEtcd.handOver');
    assertBefore(r, 'liveEtcd.handOver', 'liveMigration.waitSourceMembersRemoved');
    for (const teardown of ['extensions.migrate', 'backupEntry.migrate', 'internalDnsRecord.migrateAndWait']) {
      assertBefore(r, 'liveMigration.waitSourceMembersRemoved', teardown);
    }
    assertBefore(r, 'backupEntry.waitMigrate', 'etcdMain.destroy');
    assertBefore(r, 'etcdMain.waitCleanup', 'namespace.destroy');
    assert.ok(!r.calls.includes('etcdMain.snapshot'), 'no final snapshot: the data moved with the cluster');
  });

  it('brings nothing back once the destination takes the endpoint over (the namespace may be gone)', async () => {
    const r = await run((c) => liveMigrateFlow(c, { endpointReleased: true }));
    assert.deepEqual(r.skipped.sort(), [
      'Deploying Kubernetes API server',
      'Deploying vpn-seed-server',
      'Initializing secrets management',
      'Persisting secrets in garden cluster',
    ]);
  });
});

describe('the live migration flow (destination)', () => {
  it('joins, serves, hashes its data, moves endpoint and leader, verifies against the source, then removes its members', async () => {
    const r = await run((c) => liveMigrationDestinationFlow(c));
    assertBefore(r, 'secrets.deploy', 'liveEtcd.join');
    assertBefore(r, 'liveEtcd.join', 'liveEtcd.waitJoined');
    assertBefore(r, 'liveEtcd.waitJoined', 'endpointSwitch.serveUnexposed');
    assertBefore(r, 'endpointSwitch.serveUnexposed', 'liveEtcd.hashOwnData');
    assertBefore(r, 'liveEtcd.hashOwnData', 'endpointSwitch.takeOver');
    assertBefore(r, 'endpointSwitch.takeOver', 'liveEtcd.moveLeader');
    assertBefore(r, 'liveEtcd.moveLeader', 'liveMigration.waitSourceReleased');
    // The source's member is hashed only once no client is served through it, before any removal.
    assertBefore(r, 'liveMigration.waitSourceReleased', 'liveEtcd.verify');
    assertBefore(r, 'liveEtcd.verify', 'liveEtcd.removeSourceMembers');
    for (const after of [
      'liveEtcd.removeSourceMembers',
      'vpnSeedServer.deploy',
      'kubeControllerManager.deploy',
      'kubeScheduler.deploy',
    ]) {
      assertBefore(r, 'liveMigration.waitSourceReleased', after);
      assertBefore(r, after, 'liveMigration.complete');
    }
  });

  it('aborts: the API server stops before the members leave, the record says Aborted last', async () => {
    const r = await run((c) => liveMigrationAbortFlow(c));
    assert.equal(r.calls[0], 'liveMigration.startAbort');
    assertBefore(r, 'kubeApiServer.destroy', 'liveEtcd.leave');
    assertBefore(r, 'liveEtcd.leave', 'etcdMain.destroy');
    assertBefore(r, 'namespace.waitCleanup', 'liveMigration.aborted');
    assert.equal(r.calls.at(-1), 'liveMigration.aborted');
  });
});
