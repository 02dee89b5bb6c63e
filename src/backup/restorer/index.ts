/** Restoring an etcd data dir from a backup store (see restorer.ts). */
export { type DataDirStatus, dataDirStatus } from './data-dir-status.js';
export { RestoreError } from './restore-error.js';
export type { RestoreProgress, RestoreProgressObserver } from './restore-progress.js';
export { type RestoreOptions, type RestoreResult, restoreFromStore } from './restorer.js';
