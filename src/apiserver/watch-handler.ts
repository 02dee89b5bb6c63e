/**
 * Serves a watch as a chunked stream of JSON lines (k8s endpoints/handlers/watch.go): the
 * events, bookmarks while the client allows them, an ERROR event when the watch fails, and the
 * end of the stream on timeout, client disconnect or server stop. A watch outlives the request
 * handler's usual answer-and-return shape, so its timers and lifecycle are kept in one place.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toStatusError } from '../api/errors.js';
import type { WatchEvent } from '../api/meta.js';
import { partialObjectMetadata } from '../api/partial-object-metadata.js';
import { auditResponseStarted } from './audit/auditor.js';
import type { WatchRegistration } from './filters/request-limits.js';
import { drained } from './http-util.js';
import type { GenericStore } from './registry/generic-store.js';
import type { RequestInfo } from './request-info.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { type IncludeObject, toTable } from './table.js';

export interface WatchStreamOptions {
  /** The client asked for Table rows rather than objects. */
  table: boolean;
  /** The client asked for the objects' metadata only (PartialObjectMetadata). */
  metadataOnly: boolean;
  includeObject: IncludeObject;
  /** Seconds between bookmarks when the client allows them. */
  bookmarkIntervalSeconds: number;
  /** The stops of the watches being served; stopping the server calls each. */
  openWatches: WatchRegistration;
}

export async function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  store: GenericStore,
  info: RequestInfo,
  query: URLSearchParams,
  options: WatchStreamOptions,
): Promise<void> {
  const { table, metadataOnly, includeObject, openWatches } = options;
  const fieldSelector = parseFieldSelector(query.get('fieldSelector'), store.selectableFieldNames());
  const labelSelector = parseLabelSelector(query.get('labelSelector'));
  // A watch on one name is a watch with a metadata.name selector.
  const selector = info.name
    ? [...fieldSelector, { field: 'metadata.name', op: '=' as const, value: info.name }]
    : fieldSelector;
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const watch = await store.watch(info.namespace, {
    labelSelector,
    fieldSelector: selector,
    resourceVersion: query.get('resourceVersion') ?? undefined,
    progress: bookmarks,
  });
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '') || 1800 + Math.floor(Math.random() * 1800);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders();
  auditResponseStarted(res);
  /** The watch's position: its last event's, or the store's progress past it (a BOOKMARK from the store). */
  let lastVersion = query.get('resourceVersion') ?? '';
  /** The position the client was last told (an event or a bookmark). */
  let sentVersion = lastVersion;
  let headersSent = false;
  const stop = () => watch.stop();
  openWatches.add(stop);
  const timer = setTimeout(stop, timeoutSeconds * 1000);
  const sendBookmark = () => {
    if (!lastVersion) return;
    const bookmark = {
      kind: store.def.kind,
      apiVersion: store.apiVersion,
      metadata: { resourceVersion: lastVersion },
    };
    const object = metadataOnly ? partialObjectMetadata(bookmark) : bookmark;
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    sentVersion = lastVersion;
  };
  const bookmarkTimer = bookmarks ? setInterval(sendBookmark, options.bookmarkIntervalSeconds * 1000) : undefined;
  req.on('close', stop);
  res.on('close', stop);
  const encode = (event: WatchEvent): unknown => {
    if (metadataOnly) return { type: event.type, object: partialObjectMetadata(event.object) };
    if (!table) return event;
    const object = toTable(
      store.def,
      [event.object],
      { resourceVersion: event.object.metadata.resourceVersion },
      {
        includeObject,
        noHeaders: headersSent,
      },
    );
    headersSent = true;
    return { type: event.type, object };
  };
  try {
    for await (const event of watch) {
      lastVersion = event.object.metadata.resourceVersion ?? lastVersion;
      // The store's progress goes out with the next bookmark, not at once.
      if (event.type === 'BOOKMARK') continue;
      sentVersion = lastVersion;
      if (!res.write(`${JSON.stringify(encode(event))}\n`)) await drained(res);
    }
    // Ended by its timeout or the server (a drain, a live migration's switch): the client resumes
    // from the position it was last told, so it is told the newest. From an older one, etcd would
    // read every change since, under every prefix, to find the few of this watch.
    if (bookmarks && lastVersion !== sentVersion && !res.writableEnded) sendBookmark();
  } catch (err) {
    const status = toStatusError(err).status;
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
  } finally {
    clearTimeout(timer);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    openWatches.delete(stop);
    if (!res.writableEnded) res.end();
  }
}
