/**
 * The source seed killed (-9) at each Migrate step in turn: every migration still ends in
 * `Restore Succeeded` with no loss (see test/helpers/migration-crash.ts).
 */
import { describeCrashesDuring } from '../helpers/migration-crash.js';

describeCrashesDuring('Migrate', [
  'Deleting kube-apiserver deployment',
  'Creating ETCD Snapshot',
  'Waiting until main and event etcd have been destroyed',
  'Waiting until shoot namespace in Seed has been deleted',
]);
