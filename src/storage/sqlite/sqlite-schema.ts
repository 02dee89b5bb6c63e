/**
 * The SQLite file layout. `kv` holds the current state, `history` every write since the last
 * compaction (what watches resume from), `meta` the revision counters. Values are JSON text with
 * `metadata.resourceVersion` already stamped, so rows read back as returned objects.
 */
import Database from 'better-sqlite3';
import { StorageError } from '../interface.js';

/** Bumped with every incompatible change of the tables below. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    create_revision INTEGER NOT NULL,
    mod_revision    INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- A narrow index of keys: counting the rest of a range (remainingItemCount) reads it, not the values.
  CREATE INDEX IF NOT EXISTS kv_keys ON kv (key);

  CREATE TABLE IF NOT EXISTS history (
    revision   INTEGER PRIMARY KEY,
    key        TEXT NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
    value      TEXT NOT NULL,
    prev_value TEXT,
    -- Wall-clock milliseconds of the write: time-based retention looks it up.
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS history_created_at ON history (created_at, revision);

  CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO meta (name, value) VALUES ('current_revision', 0), ('compacted_revision', 0);
`;

/** Names of the `meta` rows. */
export const META = Object.freeze({ currentRevision: 'current_revision', compactedRevision: 'compacted_revision' });

/** Opens (creating when missing) the store file, ready for use. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    openSchema(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Sets the connection up and creates the tables when missing.
 *
 * `synchronous = NORMAL`: in WAL mode a commit does not sync the log; the store does, off the
 * event loop, before it acknowledges the write (durable-revision.ts), so a write acknowledged to
 * a client survives a power loss, as it does with etcd. Checkpoints still sync the log and the
 * database file.
 */
function openSchema(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Only this process writes, but tools inspecting the file may briefly hold a lock.
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StorageError(
      'Internal',
      db.name,
      `store file has schema version ${version}, newer than ${SCHEMA_VERSION}`,
    );
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
