/**
 * No acknowledged write is lost in a control plane migration: a writer keeps creating ConfigMaps
 * (and updating one) through the shoot API, every few ms, while the seed document's trigger
 * command moves the shoot from seed-a to seed-b. Afterwards every write the API acknowledged with
 * a 2xx is there with its resourceVersion and content; the writes sent while the control plane
 * was down failed (a refused connection or an error status), and none of those that got an
 * answer is there after all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestLandscape } from '../helpers/landscape.js';
import {
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';
import type { ShootClient } from '../helpers/shoot-client.js';
import { checkWrites, measureDowntime, startShootWriter } from '../helpers/shoot-writer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a writer during the migration from seed-a to seed-b', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  let client: ShootClient;

  before(async () => {
    shoot = await startShootOnLandscape();
    l = shoot.landscape;
    client = shoot.client;
    const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'writes' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
  });

  after(async () => {
    await shoot?.stop();
  });

  it('every acknowledged write survives; the writes during the downtime fail cleanly', async (t) => {
    const writer = startShootWriter(client, { namespace: 'writes', prefix: 'w', update: 'counter', intervalMs: 2 });
    const poller = measureDowntime(client);
    while (writer.acknowledgedCount < 200) await sleep(20);

    const triggeredAt = Date.now();
    await triggerMigration(l.garden, 'seed-b');
    const restored = await l.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 150_000);
    const restoredSeenAt = Date.now();
    assert.equal(restored.status.seedName, 'seed-b');
    // Writes keep going on seed-b for a while: the writer must get through again on its own.
    const acknowledgedAtRestore = writer.acknowledgedCount;
    await eventually(
      async () => (writer.acknowledgedCount >= acknowledgedAtRestore + 200 ? true : undefined),
      30_000,
      'the writer gets 200 more writes through on seed-b',
    );
    const records = await writer.stop();
    const downtime = await poller.stop();

    const creates = records.acknowledged.filter((w) => w.name !== 'counter');
    const updates = records.acknowledged.filter((w) => w.name === 'counter');
    const gap = downtime.longest;
    assert.ok(gap && !gap.open, 'the poller saw the API down, and back');
    t.diagnostic(
      `${creates.length} creates and ${updates.length} writes of the counter acknowledged, ${records.failed.length} failed; ` +
        `trigger to Restore Succeeded ${restoredSeenAt - triggeredAt} ms; longest API gap ${gap.durationMs} ms ` +
        `(${gap.start - triggeredAt} → ${gap.end - triggeredAt} ms after the trigger, first failure ${gap.firstFailure})`,
    );
    const outcomes = new Map<string, number>();
    for (const f of records.failed) {
      const key = f.status !== undefined ? `HTTP ${f.status} ${f.reason ?? ''}` : (f.error ?? '?');
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    t.diagnostic(`failed writes by outcome: ${JSON.stringify(Object.fromEntries(outcomes))}`);

    assert.ok(records.failed.length > 0, 'writes were refused while the control plane moved');
    for (const f of records.failed) {
      assert.ok(
        f.sentAt >= triggeredAt && f.failedAt <= restoredSeenAt + 5_000,
        `a write failed only while the control plane moved: ${JSON.stringify(f)}`,
      );
      assert.ok(
        f.status === undefined || f.status >= 500 || f.status === 429,
        `a failed write is refused or unavailable, not rejected as invalid: ${JSON.stringify(f)}`,
      );
    }
    const acknowledgedDuringGap = records.acknowledged.filter(
      (w) => w.sentAt > gap.start + 100 && w.acknowledgedAt < gap.end - 100,
    );
    assert.deepEqual(acknowledgedDuringGap, [], 'no write was acknowledged while the API was down');

    const { items } = await client.listConfigMaps('writes');
    const check = checkWrites(records, items);
    assert.deepEqual(check.missing, [], 'no acknowledged create is missing');
    assert.deepEqual(check.changed, [], 'every acknowledged create has its resourceVersion and content');
    assert.equal(check.updateLost, undefined, 'the last acknowledged update of the counter is there');
    assert.deepEqual(check.presentThoughRefused, [], 'no write that was answered with an error is there');
    assert.equal(
      items.filter((i) => i.metadata.name !== 'counter').length,
      creates.length + check.presentThoughFailed.length,
      'the namespace holds exactly the acknowledged creates (and those whose connection broke mid-request)',
    );
    const counter = items.find((i) => i.metadata.name === 'counter');
    assert.equal(
      counter?.metadata.resourceVersion,
      updates.at(-1)?.resourceVersion,
      'the counter is at its last update',
    );
  });
});
