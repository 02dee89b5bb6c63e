/**
 * The live migration's record in the ShootState (LiveMigrationProgress) against a real garden:
 * phases only move forward and a re-run writes nothing; both seeds writing at once lose nothing
 * (every write carries the resourceVersion and a conflict is applied again to what was read); a
 * wait of one seed ends when the other writes the phase, and at once when it aborts, and lasts as
 * long as the other seed's progress changes the record; the abort is
 * refused past the point of no return; a record of an earlier migration is not this one's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { namespaceResource } from '../../src/api/core/namespace.js';
import { liveMigrationRecord } from '../../src/api/core-gardener/live-migration.js';
import { type Shoot, shootResource } from '../../src/api/core-gardener/shoot.js';
import { shootStateResource } from '../../src/api/core-gardener/shoot-state.js';
import { type Client, checked } from '../../src/client/client.js';
import { RetryTimeoutError, TerminalTaskError } from '../../src/flow/task-errors.js';
import type { TaskContext } from '../../src/flow/task-fn.js';
import type { ComponentContext } from '../../src/seed/gardenlet/components/context.js';
import {
  LiveMigrationAbortedError,
  LiveMigrationProgress,
} from '../../src/seed/gardenlet/components/live-migration.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

const logger = pino({ level: 'silent' });
const ctx: TaskContext = { signal: new AbortController().signal, log: () => {} } as unknown as TaskContext;

function moving(name: string): Shoot {
  return checked(shootResource, {
    metadata: { name, namespace: 'garden-dev' },
    spec: { seedName: 'seed-b' },
    status: { seedName: 'seed-a' },
  });
}

function progressOf(garden: Client, shoot: Shoot, seedName: string, waitTimeoutMs = 5_000): LiveMigrationProgress {
  const context = { shoot, namespace: 'ns', seedName, garden, waitTimeoutMs, logger } as unknown;
  return new LiveMigrationProgress(context as ComponentContext);
}

describe('LiveMigrationProgress', () => {
  let g: TestGarden;
  let garden: Client;
  let n = 0;

  before(async () => {
    g = await startTestGarden({ localSetup: false });
    garden = g.garden.hosted.client;
    await garden.resource(namespaceResource).createIfAbsent('', { metadata: { name: 'garden-dev' } });
  });
  after(() => g?.cleanup());

  /** A moving shoot with a ShootState holding one other entry, and both seeds' views of its record. */
  async function fresh() {
    const shoot = moving(`shoot-${++n}`);
    await garden.resource(shootStateResource).create('garden-dev', {
      metadata: { name: shoot.metadata.name },
      spec: { gardener: [{ name: 'ca', type: 'secret', labels: { persist: 'true' }, data: { 'ca.crt': 'x' } }] },
    });
    const source = progressOf(garden, shoot, 'seed-a');
    const destination = progressOf(garden, shoot, 'seed-b');
    await source.update(() => ({
      sourceSeed: 'seed-a',
      destinationSeed: 'seed-b',
      phase: 'Preparing',
      phaseTime: new Date().toISOString(),
      source: {
        etcd: { 'etcd-main': [{ name: 'etcd-main', id: '1', peerURLs: ['https://127.0.0.1:1'], clientURLs: [] }] },
      },
    }));
    return { shoot, source, destination };
  }

  it('moves only forward, keeps the other entries, and a re-run writes nothing', async () => {
    const { shoot, destination } = await fresh();
    await destination.advance('MembersJoined');
    const state = await garden.resource(shootStateResource).get('garden-dev', shoot.metadata.name!);
    assert.equal(liveMigrationRecord(state)?.phase, 'MembersJoined');
    assert.deepEqual(
      state.spec?.gardener?.map((e) => e.name),
      ['ca', 'live-migration'],
    );
    await destination.advance('JoiningMembers');
    const again = await garden.resource(shootStateResource).get('garden-dev', shoot.metadata.name!);
    assert.equal(again.metadata.resourceVersion, state.metadata.resourceVersion, 'nothing written');
    assert.equal(liveMigrationRecord(again)?.phase, 'MembersJoined');
  });

  it('loses no write when both seeds write at once', async () => {
    const { source, destination } = await fresh();
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => destination.report(`step ${i}`, i)),
      source.advance('JoiningMembers'),
      destination.update((r) => (r ? { ...r, verification: { revision: 7, hash: 42 } } : r)),
    ]);
    const record = await source.get();
    assert.equal(record?.phase, 'JoiningMembers');
    assert.deepEqual(record?.verification, { revision: 7, hash: 42 });
    assert.match(record?.destination?.step ?? '', /^step \d$/);
  });

  it("ends one seed's wait when the other writes the phase, and at once on an abort", async () => {
    const { source, destination } = await fresh();
    const waiting = source.waitFor(ctx, 'LeaderMoved');
    await destination.advance('LeaderMoved');
    assert.equal((await waiting).phase, 'LeaderMoved');

    const other = await fresh();
    const aborted = other.source.waitFor(ctx, 'SwitchingEndpoint');
    await other.destination.startAbort(ctx);
    await assert.rejects(
      aborted,
      (err: unknown) => err instanceof TerminalTaskError && err.cause instanceof LiveMigrationAbortedError,
    );
    await assert.rejects(other.destination.advance('MembersJoined'), /being aborted/);
    await other.destination.aborted(ctx);
    assert.equal((await other.source.get())?.phase, 'Aborted');
  });

  it("keeps waiting while the other seed's record changes, and gives up after a whole timeout without a change", async () => {
    const { shoot, destination } = await fresh();
    const timeoutMs = 600;
    const source = progressOf(garden, shoot, 'seed-a', timeoutMs);
    const waiting = source.waitFor(ctx, 'SwitchingEndpoint');
    // The destination's steps (as its flow reports them) for three timeouts, each within one.
    for (let step = 0; step < 9; step++) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs / 3));
      await destination.report(`step ${step}`, step * 10);
    }
    await destination.advance('SwitchingEndpoint');
    assert.equal((await waiting).phase, 'SwitchingEndpoint');

    await assert.rejects(source.waitFor(ctx, 'LeaderMoved'), (err: unknown) => err instanceof RetryTimeoutError);
  });

  it('refuses the abort past the point of no return', async () => {
    const { destination } = await fresh();
    await destination.advance('SwitchingEndpoint');
    await assert.rejects(destination.startAbort(ctx), /past the point of no return/);
    assert.equal((await destination.get())?.phase, 'SwitchingEndpoint');
  });

  it('does not take the record of another pair of seeds for its own', async () => {
    const { shoot, source } = await fresh();
    const third = progressOf(garden, { ...shoot, spec: { ...shoot.spec, seedName: 'seed-c' } }, 'seed-c');
    assert.equal(await third.get(), undefined);
    assert.equal((await source.get())?.phase, 'Preparing');
  });
});
