/**
 * A storage change as a watcher with selectors sees it (k8s watch cache's event filtering): the
 * store's event type says what happened to the key, but a selected watch must report an object
 * that starts matching as ADDED and one that stops matching as DELETED. A pure function, so the
 * rule is read and tested apart from the store's plumbing.
 */
import type { WatchEvent } from '../../api/meta.js';
import type { StoreEvent } from '../../storage/interface.js';
import type { ObjectPredicate } from './selection-predicate.js';

/** A running watch on one resource, already filtered and shaped as API watch events. */
export interface ResourceWatch extends AsyncIterable<WatchEvent> {
  stop(): void;
}

/** The API event for a storage event, or undefined when the watcher does not see it. */
export function shapeWatchEvent(event: StoreEvent, matches: ObjectPredicate): WatchEvent | undefined {
  const now = event.type !== 'DELETED' && matches(event.object);
  const before = event.prevObject !== undefined && matches(event.prevObject);
  switch (event.type) {
    case 'ADDED':
      return now ? { type: 'ADDED', object: event.object } : undefined;
    case 'DELETED':
      return before || (event.prevObject === undefined && matches(event.object))
        ? { type: 'DELETED', object: event.object }
        : undefined;
    case 'MODIFIED':
      if (now && before) return { type: 'MODIFIED', object: event.object };
      if (now) return { type: 'ADDED', object: event.object };
      if (before) return { type: 'DELETED', object: event.object };
      return undefined;
  }
}
