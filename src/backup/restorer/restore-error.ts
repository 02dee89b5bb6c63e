/**
 * Thrown by `restoreFromStore` when the backups cannot be turned into a data dir: a gap in the
 * revisions, a delta whose events do not replay to the revision its name states, a missing
 * object, or a step (etcdctl, the temporary etcd) that failed. The data dir is left as it was.
 */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  /** The store object (snapshot name) at fault, when one is. */
  readonly object: string | undefined;

  constructor(message: string, options: { object?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.object = options.object;
  }
}
