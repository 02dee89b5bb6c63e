/**
 * Crash tests of the migration flows: the shoot moves between seed-a and seed-b again and again,
 * and each time one seed process is killed (-9) the moment the shoot's lastOperation names a
 * given step of the Migrate (the source seed) or the Restore (the destination seed). lastOperation
 * is patched as the flow goes, not once per step, so a short step may never be named there: then
 * the seed is killed at the first later step (in the order given) that shows up. The
 * landscape's supervisor restarts it; the flow must resume and end in `Restore Succeeded` with
 * every ConfigMap at its resourceVersion, one etcd of the shoot in all, on the destination.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectlStream } from './kubectl.js';
import {
  CONTROL_PLANE,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
} from './migration.js';
import { alive, etcdPidsUnder, eventually } from './processes.js';

export type CrashedOperation = 'Migrate' | 'Restore';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function describeCrashesDuring(operation: CrashedOperation, steps: readonly string[]): void {
  describe(`a seed killed at each ${operation} step`, () => {
    let shoot: ShootOnLandscape;
    let versions: Map<string, string>;

    before(async () => {
      shoot = await startShootOnLandscape();
      const ns = await shoot.client.request('POST', '/api/v1/namespaces', { metadata: { name: 'data' } });
      assert.equal(ns.status, 201, JSON.stringify(ns.body));
      // Enough data that the snapshot and the restore take a moment.
      versions = await shoot.client.createConfigMaps('data', 'cm', 5_000);
    });

    after(async () => {
      await shoot?.stop();
    });

    steps.forEach((step, index) => {
      // This step or, when lastOperation never names it, the next one that it names.
      const target = new RegExp(`^${operation} Processing .*(${steps.slice(index).map(escapeRegExp).join('|')})`, 'm');
      it(`finishes the migration when the ${operation === 'Migrate' ? 'source' : 'destination'} seed is killed at "${step}"`, async (t) => {
        const l = shoot.landscape;
        // Where the shoot is now: a failed step before this one may have left it on either seed.
        const source: string = await eventually(
          async () => {
            const s = await l.shoot(SHOOT_NAMESPACE, SHOOT);
            const op = s.status?.lastOperation;
            return op?.state === 'Succeeded' && op.type !== 'Migrate' ? s.status.seedName : undefined;
          },
          240_000,
          'no operation runs on the shoot',
        );
        const destination = source === 'seed-a' ? 'seed-b' : 'seed-a';
        const victim = operation === 'Migrate' ? source : destination;
        const watch = kubectlStream(l.garden, [
          'get',
          'shoot',
          '-n',
          SHOOT_NAMESPACE,
          SHOOT,
          '--watch',
          '-o',
          'jsonpath={.status.lastOperation.type} {.status.lastOperation.state} {.status.lastOperation.description}{"\\n"}',
        ]);
        try {
          await triggerMigration(l.garden, destination);
          await watch.waitFor(target, 90_000);
          const pid = (await l.file()).seeds[victim]?.pid;
          assert.ok(pid && alive(pid), `${victim} runs`);
          process.kill(pid, 'SIGKILL');
          const at = target.exec(watch.output())?.[0];
          t.diagnostic(`killed ${victim} (pid ${pid}) at "${at}"`);
          if (!at?.includes(step)) t.diagnostic(`"${step}" did not show up in lastOperation before that`);
        } finally {
          watch.stop();
        }
        const done = await eventually(
          async () => {
            const s = await l.shoot(SHOOT_NAMESPACE, SHOOT);
            const op = s.status?.lastOperation;
            return op?.type === 'Restore' && op.state === 'Succeeded' && s.status.seedName === destination
              ? s
              : undefined;
          },
          240_000,
          `the migration to ${destination} succeeds after ${victim} was killed at "${step}"`,
        );
        assert.deepEqual(done.status.lastErrors ?? [], []);
        const { items } = await eventually(
          async () => shoot.client.listConfigMaps('data').catch(() => undefined),
          60_000,
          'the shoot API serves on the destination',
        );
        assert.equal(items.length, versions.size, 'every ConfigMap is there');
        for (const item of items) assert.equal(item.metadata.resourceVersion, versions.get(item.metadata.name));
        const etcds = {
          [source]: await etcdPidsUnder(join(l.dir, 'seeds', source, 'state', 'controlplanes', CONTROL_PLANE)),
          [destination]: await etcdPidsUnder(
            join(l.dir, 'seeds', destination, 'state', 'controlplanes', CONTROL_PLANE),
          ),
        };
        assert.equal(etcds[source]!.length, 0, `no etcd of the shoot left on ${source}`);
        assert.equal(etcds[destination]!.length, 1, `exactly one etcd of the shoot on ${destination}`);
      });
    });
  });
}
