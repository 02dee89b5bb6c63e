/** The prepared statements of the SQLite store, compiled once per connection. */
import type Database from 'better-sqlite3';
import type { ChangeRecord } from './change-record.js';

export interface KvRow {
  value: string;
  modRevision: number;
}

export interface RowWrite {
  key: string;
  value: string;
  revision: number;
}

/** A history insert: a change record plus its wall-clock time. */
export type HistoryRow = ChangeRecord & { createdAt: number };

/** Upper bound of a key range: TEXT, or a BLOB meaning "no bound" (see key-range.ts). */
type RangeEnd = string | Buffer;

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    getRow: db.prepare<[string], KvRow>('SELECT value, mod_revision AS modRevision FROM kv WHERE key = ?'),
    insertRow: db.prepare<[RowWrite]>(
      'INSERT INTO kv (key, value, create_revision, mod_revision) VALUES (@key, @value, @revision, @revision)',
    ),
    updateRow: db.prepare<[RowWrite]>('UPDATE kv SET value = @value, mod_revision = @revision WHERE key = @key'),
    deleteRow: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
    /** Up to `limit` rows (-1: all) of a range, from its start inclusive; rows as [key, value]. */
    scanFrom: db
      .prepare<[string, RangeEnd, number], [string, string]>(
        'SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?',
      )
      .raw(),
    /** Like `scanFrom`, from a key exclusive. */
    scanAfter: db
      .prepare<[string, RangeEnd, number], [string, string]>(
        'SELECT key, value FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?',
      )
      .raw(),
    countAfter: db.prepare<[string, RangeEnd], number>('SELECT count(*) FROM kv WHERE key > ? AND key < ?').pluck(),
    insertHistory: db.prepare<[HistoryRow]>(
      `INSERT INTO history (revision, key, type, value, prev_value, created_at)
       VALUES (@revision, @key, @type, @value, @prevValue, @createdAt)`,
    ),
    /** Changes after a revision for keys in `[start, end)`, oldest first. */
    historyAfter: db.prepare<[number, string, RangeEnd], ChangeRecord>(
      `SELECT revision, key, type, value, prev_value AS prevValue FROM history
       WHERE revision > ? AND key >= ? AND key < ? ORDER BY revision`,
    ),
    deleteHistoryThrough: db.prepare<[number]>('DELETE FROM history WHERE revision <= ?'),
    /** The newest revision written before a wall-clock time (ms). */
    newestRevisionBefore: db
      .prepare<[number], number>(
        'SELECT revision FROM history WHERE created_at < ? ORDER BY created_at DESC, revision DESC LIMIT 1',
      )
      .pluck(),
    getMeta: db.prepare<[string], number>('SELECT value FROM meta WHERE name = ?').pluck(),
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE name = ?'),
  };
}
