/**
 * What the destination seed tells the garden of a move's copy and restore
 * (restore-progress-reporter.ts), against a fake garden client that records each annotation
 * patch and can hang, fail or refuse: which entry is written, what the reports hold, at most one
 * write per interval plus one at once when a phase ends, the copy and the restore never held up
 * by the garden, a failed write tried again, a refused entry left alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  parseRestoreProgress,
  RESTORE_PROGRESS_ANNOTATION,
  type RestoreProgressReport,
} from '../../src/api/core-gardener/restore-progress.js';
import { forbidden, serviceUnavailable } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { CopyProgress } from '../../src/backup/copy-progress.js';
import type { RestoreProgress } from '../../src/backup/restorer/index.js';
import type { Client } from '../../src/client/client.js';
import {
  backupEntryOf,
  copyReport,
  RestoreProgressReporter,
  restoreReport,
} from '../../src/seed/gardenlet/restore-progress-reporter.js';
import { shootLabels } from '../../src/seed/gardenlet/shoot-labels.js';

const ENTRY = { namespace: 'garden-dev', name: 'shoot--dev--web--u1' };
const INTERVAL_MS = 100;

/** The garden as the reporter sees it: each patch recorded; `answer` decides how it ends. */
class FakeGarden {
  readonly writes: { namespace: string; name: string; report: RestoreProgressReport; at: number }[] = [];
  calls = 0;
  answer: () => Promise<void> = async () => {};

  client(): Client {
    const patch = async (namespace: string, name: string, body: unknown) => {
      this.calls++;
      await this.answer();
      const value = (body as KubeObject).metadata.annotations?.[RESTORE_PROGRESS_ANNOTATION];
      this.writes.push({ namespace, name, report: parseRestoreProgress(value)!, at: Date.now() });
      return {} as KubeObject;
    };
    return { resource: () => ({ patch }) } as unknown as Client;
  }
}

function copying(copiedMiB: number, phase: CopyProgress['phase'] = 'copying'): CopyProgress {
  const MiB = 1024 * 1024;
  return {
    phase,
    totalObjects: 4,
    doneObjects: 1,
    skippedObjects: 1,
    totalBytes: 100 * MiB,
    copiedBytes: (copiedMiB - 10) * MiB,
    skippedBytes: 10 * MiB,
  };
}

function restoring(restoredKeys: number, stage: RestoreProgress['stage'] = 'replaying'): RestoreProgress {
  return { stage, fetchedBytes: 2048, totalBytes: 2048, restoredKeys, totalKeys: 5000 };
}

function reporter(garden: FakeGarden, now?: () => number): RestoreProgressReporter {
  return new RestoreProgressReporter({
    garden: garden.client(),
    logger: pino({ enabled: false }),
    intervalMs: INTERVAL_MS,
    ...(now ? { now } : {}),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('restore progress reports', () => {
  it("names the shoot's own entry from the object's shoot labels and its store prefix", () => {
    const stamped = (labels: Record<string, string>) => ({ metadata: { name: 'etcd-main', labels } }) as KubeObject;
    const shoot = { metadata: { name: 'web', namespace: 'garden-dev' } } as KubeObject;
    assert.deepEqual(backupEntryOf(stamped(shootLabels(shoot)), 'shoot--dev--web--u1/etcd-main'), ENTRY);
    assert.equal(backupEntryOf(stamped(shootLabels(shoot)), 'source-shoot--dev--web--u1/etcd-main'), undefined);
    assert.equal(backupEntryOf(stamped(shootLabels(shoot)), 'elsewhere/etcd-events'), undefined);
    assert.equal(backupEntryOf(stamped(shootLabels(shoot)), undefined), undefined);
    assert.equal(backupEntryOf(stamped({}), 'shoot--dev--web--u1/etcd-main'), undefined);
  });

  it('counts objects already copied as copied, and keeps the copy in the restore’s reports', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    const copy = copyReport(copying(100, 'done'), at);
    assert.deepEqual(copy, {
      phase: 'Copy',
      done: true,
      copiedBytes: 100 * 1024 * 1024,
      copyTotalBytes: 100 * 1024 * 1024,
      updated: '2026-01-01T00:00:00.000Z',
    });
    assert.deepEqual(restoreReport(copy, restoring(1234), at), {
      phase: 'Restore',
      copiedBytes: 100 * 1024 * 1024,
      copyTotalBytes: 100 * 1024 * 1024,
      fetchedBytes: 2048,
      fetchTotalBytes: 2048,
      restoredKeys: 1234,
      totalKeys: 5000,
      updated: '2026-01-01T00:00:00.000Z',
    });
    const alone = restoreReport(undefined, { stage: 'fetching', fetchedBytes: 0, totalBytes: 10, restoredKeys: 0 }, at);
    assert.equal(alone.copiedBytes, undefined, 'a restore outside a move has no copy');
    assert.equal(alone.totalKeys, undefined);
  });

  it('writes at most once per interval, the latest report, and at once when a phase ends', async () => {
    const garden = new FakeGarden();
    // The reporter's clock stands still unless moved: only the interval's timer lets it write.
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    const r = reporter(garden, () => clock);
    for (let mib = 10; mib <= 60; mib += 5) r.copied(ENTRY, copying(mib));
    assert.equal(garden.calls, 1, 'the first update is written at once, the rest wait for the interval');
    await r.idle();
    assert.equal(garden.calls, 2);
    assert.equal(garden.writes.at(-1)!.report.copiedBytes, 60 * 1024 * 1024, 'the latest report');
    const [first, second] = garden.writes;
    assert.ok(second!.at - first!.at >= INTERVAL_MS - 5, 'an interval between writes');
    clock += INTERVAL_MS;
    r.copied(ENTRY, copying(70));
    r.copied(ENTRY, copying(100, 'done'));
    await r.idle();
    assert.deepEqual(
      garden.writes.map((w) => [w.report.phase, w.report.copiedBytes! / 1024 / 1024, w.report.done ?? false]),
      [
        ['Copy', 10, false],
        ['Copy', 60, false],
        ['Copy', 70, false],
        ['Copy', 100, true],
      ],
    );
    r.restored(ENTRY, restoring(5000, 'done'));
    await r.idle();
    const last = garden.writes.at(-1)!;
    assert.deepEqual([last.namespace, last.name], [ENTRY.namespace, ENTRY.name]);
    assert.deepEqual([last.report.phase, last.report.done, last.report.restoredKeys], ['Restore', true, 5000]);
    assert.equal(last.report.copiedBytes, 100 * 1024 * 1024);
    await r.stop();
  });

  it('never holds up the copy: a garden that does not answer gets no second write meanwhile', async () => {
    const garden = new FakeGarden();
    let release = () => {};
    garden.answer = () => new Promise<void>((resolve) => (release = resolve));
    const r = reporter(garden);
    // Every update returns at once, the write of the first still under way.
    for (let i = 0; i < 1000; i++) r.copied(ENTRY, copying(10 + (i % 90)));
    await sleep(INTERVAL_MS * 2);
    assert.equal(garden.calls, 1, 'one write under way, none beside it');
    garden.answer = async () => {};
    release();
    await r.idle();
    assert.equal(garden.calls, 2, 'the latest report is written once the garden answered');
    await r.stop();
  });

  it('logs a failed write and writes again with the next update, or after a back-off', async () => {
    const garden = new FakeGarden();
    garden.answer = async () => {
      throw serviceUnavailable('the garden restarts');
    };
    const r = reporter(garden);
    r.copied(ENTRY, copying(10));
    await sleep(10);
    assert.equal(garden.calls, 1);
    garden.answer = async () => {};
    // No update: the back-off (two intervals after one failure) writes the report again.
    await r.idle();
    assert.equal(garden.calls, 2);
    assert.equal(garden.writes.length, 1);
    assert.equal(garden.writes[0]!.report.copiedBytes, 10 * 1024 * 1024);
    await r.stop();
  });

  it('leaves an entry the garden refuses alone, and writes nothing after stop', async () => {
    const garden = new FakeGarden();
    garden.answer = async () => {
      throw forbidden({ group: 'core.gardener.cloud', resource: 'backupentries' }, ENTRY.name, 'not this seed’s');
    };
    const r = reporter(garden);
    r.copied(ENTRY, copying(10));
    await sleep(INTERVAL_MS * 2);
    r.copied(ENTRY, copying(20, 'done'));
    await r.idle();
    assert.equal(garden.calls, 1, 'refused once, not asked again at once');
    await r.stop();
    r.copied({ ...ENTRY, name: 'other' }, copying(10));
    await sleep(10);
    assert.equal(garden.calls, 1);
  });
});
