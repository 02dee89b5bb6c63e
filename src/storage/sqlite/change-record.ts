/**
 * One committed write as the history table stores it and watchers queue it. Values stay JSON
 * text until a consumer takes the event, so every consumer decodes its own copy and a buffered
 * event costs no more memory than its row.
 */
import type { StoreEvent, StoreEventType } from '../interface.js';

export interface ChangeRecord {
  revision: number;
  key: string;
  type: StoreEventType;
  /** The object after the change; for DELETED, its last state stamped with the deletion's revision. */
  value: string;
  /** The object before the change; null for ADDED. */
  prevValue: string | null;
}

export function toStoreEvent(record: ChangeRecord): StoreEvent {
  const event: StoreEvent = {
    type: record.type,
    key: record.key,
    object: JSON.parse(record.value),
    revision: record.revision,
  };
  if (record.prevValue !== null) event.prevObject = JSON.parse(record.prevValue);
  return event;
}
