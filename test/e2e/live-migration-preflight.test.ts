/**
 * Live migration's preflight on a real landscape (docs/live-migration.md, "Asking for it"): seed-a
 * publishes an etcd peer endpoint nothing listens on (`--seed-etcd-peer-advertise-address`, the
 * loopback landscape's equivalent of a cut between the seeds, as a NAT forwarding nowhere), so
 * seed-b's gardenlet reports it cannot reach seed-a's peers while seed-a reaches seed-b's. The seed
 * document's binding command, verbatim, is then refused for a shoot asking for a live migration,
 * with the reason and nothing changed; with the classic fallback the same command is accepted, the
 * shoot's live-migrate annotation turned off in that write and an Event says why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ETCD_PEER_ENDPOINT_ANNOTATION,
  ETCD_PEERS_REACHABLE_CONDITION,
  etcdPeerReport,
} from '../../src/api/core-gardener/etcd-peer-reachability.js';
import {
  LIVE_MIGRATE_ANNOTATION,
  LIVE_MIGRATE_FALLBACK_ANNOTATION,
} from '../../src/api/core-gardener/live-migration.js';
import type { Seed } from '../../src/api/core-gardener/seed.js';
import { freePort } from '../../src/process/etcd-process.js';
import type { Json } from '../helpers/api-client.js';
import { bash, getJson, kubectl } from '../helpers/kubectl.js';
import {
  SEED_DOCUMENT_TRIGGER,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';

const condition = (seed: Json, type: string): Json | undefined =>
  (seed.status?.conditions ?? []).find((c: Json) => c.type === type);

describe('live migration preflight: the destination cannot reach the source etcd peers', () => {
  let onLandscape: ShootOnLandscape;
  let garden: string;
  let deadEndpoint: string;

  before(async () => {
    deadEndpoint = `127.0.0.1:${await freePort()}`;
    onLandscape = await startShootOnLandscape({
      upArgs: ['--seed-etcd-peer-advertise-address', `seed-a=${deadEndpoint}`],
    });
    garden = onLandscape.landscape.garden;
  });
  after(async () => {
    await onLandscape?.stop();
  });

  const seed = (name: string) => getJson(garden, ['get', 'seed', name, '-o', 'json']) as Promise<Seed & Json>;
  const annotate = async (...pairs: string[]) => {
    const res = await kubectl(garden, ['annotate', 'shoot', '-n', SHOOT_NAMESPACE, SHOOT, '--overwrite', ...pairs]);
    assert.equal(res.code, 0, res.stderr);
  };
  const trigger = () =>
    bash(SEED_DOCUMENT_TRIGGER, {
      KUBECONFIG: garden,
      NAMESPACE: SHOOT_NAMESPACE,
      SHOOT_NAME: SHOOT,
      DEST_SEED_NAME: 'seed-b',
    });

  it("each gardenlet reports on its own Seed which seeds' etcd peers it reaches", async () => {
    const a = await seed('seed-a');
    assert.equal(a.metadata.annotations?.[ETCD_PEER_ENDPOINT_ANNOTATION], deadEndpoint);
    const b = await eventually(
      async () => {
        const s = await seed('seed-b');
        return condition(s, ETCD_PEERS_REACHABLE_CONDITION)?.status === 'False' ? s : undefined;
      },
      60_000,
      'seed-b reporting seed-a unreachable',
    );
    const fromB = etcdPeerReport(b)['seed-a'];
    assert.equal(fromB?.endpoint, deadEndpoint);
    assert.equal(fromB?.reachable, false);
    assert.match(fromB?.error ?? '', /ECONNREFUSED/);
    assert.match(
      condition(b, ETCD_PEERS_REACHABLE_CONDITION)?.message,
      /Cannot reach the etcd peer endpoints of seeds seed-a/,
    );
    // The other way round works: seed-b's probe listener answers seed-a.
    const a2 = await eventually(
      async () => {
        const s = await seed('seed-a');
        return condition(s, ETCD_PEERS_REACHABLE_CONDITION)?.status === 'True' ? s : undefined;
      },
      60_000,
      'seed-a reporting seed-b reachable',
    );
    assert.equal(
      etcdPeerReport(a2)['seed-b']?.endpoint,
      (await seed('seed-b')).metadata.annotations?.[ETCD_PEER_ENDPOINT_ANNOTATION],
    );
  });

  it("refuses the seed document's binding command for a live migration, with the reason, changing nothing", async () => {
    await annotate(`${LIVE_MIGRATE_ANNOTATION}=true`);
    const before = await onLandscape.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
    const refused = await trigger();
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      new RegExp(
        `The Shoot "${SHOOT}" is invalid: spec\\.seedName: Invalid value: "seed-b": live migration from seed "seed-a" is impossible: seed "seed-b" cannot reach the etcd peers of seed "seed-a" at ${deadEndpoint.replaceAll('.', '\\.')}: connect ECONNREFUSED`,
      ),
    );
    const after = await onLandscape.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'nothing stored');
    assert.equal(after.spec.seedName, 'seed-a');
  });

  it('accepts the same command with the classic fallback, turning live-migrate off and saying why in an Event', async () => {
    await annotate(`${LIVE_MIGRATE_FALLBACK_ANNOTATION}=true`);
    const accepted = await trigger();
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(accepted.stdout, 'seed-b\n');
    const shoot = await onLandscape.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
    assert.equal(shoot.metadata.annotations?.[LIVE_MIGRATE_ANNOTATION], 'false');
    const event = await eventually(
      async () => {
        const events = await getJson(garden, [
          'get',
          'events',
          '-n',
          SHOOT_NAMESPACE,
          '--field-selector',
          `involvedObject.name=${SHOOT},reason=LiveMigrationImpossible`,
          '-o',
          'json',
        ]);
        return events.items?.[0] as Json | undefined;
      },
      30_000,
      'the LiveMigrationImpossible Event',
    );
    assert.equal(event.type, 'Warning');
    assert.match(event.message, /classic way.*seed "seed-b" cannot reach the etcd peers of seed "seed-a"/);
  });
});
