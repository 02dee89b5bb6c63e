/**
 * The read gate an etcd store's reads pass (src/storage/etcd/read-gate.ts): a hold waits for the
 * reads under way, keeps new ones back until its release, and lets go by itself after its limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadGate } from '../../src/storage/etcd/read-gate.js';

/** A read that ends when the test says, recording when it started and ended. */
function controlledRead(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const read = async () => {
    log.push(`${name} start`);
    await done;
    log.push(`${name} end`);
    return name;
  };
  return { read, finish };
}

describe('ReadGate', () => {
  it('holds once the reads under way have ended, and keeps new ones back until the release', async () => {
    const gate = new ReadGate();
    const log: string[] = [];
    const first = controlledRead(log, 'first');
    const firstResult = gate.through(first.read);
    const holding = gate.hold().then((release) => {
      log.push('held');
      return release;
    });
    await sleep(20);
    assert.deepEqual(log, ['first start'], 'the hold waits for the read under way');
    const second = controlledRead(log, 'second');
    const secondResult = gate.through(second.read);
    first.finish();
    assert.equal(await firstResult, 'first');
    const release = await holding;
    await sleep(20);
    assert.deepEqual(log, ['first start', 'first end', 'held'], 'a read that came during the hold waits');
    assert.equal(gate.inFlight, 0);
    release();
    release();
    await sleep(0);
    assert.equal(log.at(-1), 'second start');
    second.finish();
    assert.equal(await secondResult, 'second');
  });

  it('lets go by itself after its limit, also while a read under way never ends', async () => {
    const gate = new ReadGate();
    const log: string[] = [];
    const stuck = controlledRead(log, 'stuck');
    void gate.through(stuck.read);
    const started = Date.now();
    await gate.hold(100);
    assert.ok(Date.now() - started >= 90, 'the hold waited for the read until its limit');
    const after = controlledRead(log, 'after');
    const result = gate.through(after.read);
    after.finish();
    assert.equal(await result, 'after', 'the gate opened by itself');
    stuck.finish();
  });

  it('a second hold waits for the first one’s release', async () => {
    const gate = new ReadGate();
    const releaseFirst = await gate.hold();
    let second = false;
    const holding = gate.hold().then((release) => {
      second = true;
      return release;
    });
    await sleep(20);
    assert.equal(second, false);
    releaseFirst();
    (await holding)();
    assert.equal(second, true);
    assert.equal(await gate.through(async () => 'open'), 'open');
  });
});
