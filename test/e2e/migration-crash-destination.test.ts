/**
 * The destination seed killed (-9) at each Restore step in turn: every migration still ends in
 * `Restore Succeeded` with no loss (see test/helpers/migration-crash.ts).
 */
import { describeCrashesDuring } from '../helpers/migration-crash.js';

describeCrashesDuring('Restore', [
  'Deploying Shoot namespace in Seed',
  'Waiting until the source backup entry has been reconciled',
  'Destroying copy etcd backups task resource',
  'Waiting until main and event etcd report readiness',
  'Deploying Kubernetes API server',
  'Waiting until source backup entry has been deleted',
]);
