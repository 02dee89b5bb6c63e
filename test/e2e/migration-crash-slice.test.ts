/**
 * `make test`'s slice of the crash matrix (test/helpers/seed-crash-migration.ts): on one
 * landscape, the seed that runs a step killed with SIGKILL at a chosen step of every migration
 * flow, before it starts or right after it did its work, and restarted by the landscape; every
 * move still ends in `Restore Succeeded` on the destination with no acknowledged write lost and
 * one control plane. The steps are where a crash costs most: the etcd destroyed on the source
 * after its final snapshot, the backups copied (the next step deploys the etcd from them), and in
 * a live migration the point of no return on both sides. `make test-crash-matrix` crashes every step of
 * every flow instead (migration-crash-*.test.ts).
 */
import { describeSeedKilledAtSteps } from '../helpers/seed-crash-migration.js';

describeSeedKilledAtSteps('a seed killed with SIGKILL at chosen steps of every migration flow, on one landscape', [
  { type: 'Migrate', moment: 'after', step: 'Destroying main and events etcd' },
  { type: 'Restore', moment: 'after', step: "Copying etcd backups to new seed's backup bucket" },
  { type: 'LiveMigrate', moment: 'before', step: "Releasing the shoot's endpoint to the destination seed" },
  { type: 'LiveMigration', moment: 'before', step: "Removing the source seed's etcd members" },
]);
