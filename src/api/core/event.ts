/**
 * Event (v1, namespaced): what controllers report about an object (`involvedObject`). Columns
 * follow `kubectl get events`; the `involvedObject.*` field selectors are what `kubectl describe`
 * uses to find an object's events.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalObject, optionalString } from '../validation.js';

export const eventResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
});

export const EVENT_TYPES = ['Normal', 'Warning'] as const;

/**
 * The string (or number, as a string) at a dotted path of the event, undefined otherwise. Event
 * has no TypeScript interface (no controller reads events; only its columns and field selectors
 * do), so this generic path reader stays: the one string-path lookup left in src.
 */
export function eventField(obj: KubeObject, path: string): string | undefined {
  let current: unknown = obj;
  for (const segment of path.split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[segment];
  }
  if (typeof current === 'string') return current;
  return typeof current === 'number' ? String(current) : undefined;
}

/** When the event was last seen: lastTimestamp, eventTime, series.lastObservedTime or creation. */
export function eventLastSeen(event: KubeObject): string | null {
  return (
    eventField(event, 'lastTimestamp') ??
    eventField(event, 'series.lastObservedTime') ??
    eventField(event, 'eventTime') ??
    event.metadata.creationTimestamp ??
    null
  );
}

/** `kind/name` of the involved object, with the kind lower-cased as kubectl prints it. */
export function eventObject(event: KubeObject): string {
  const kind = eventField(event, 'involvedObject.kind') ?? '';
  const name = eventField(event, 'involvedObject.name') ?? '';
  return kind ? `${kind.toLowerCase()}/${name}` : name;
}

/** `involvedObject`, `reason` and `message` shapes, and `type` Normal or Warning. */
export function validateEvent(obj: KubeObject): FieldError[] {
  const errs = [
    ...optionalObject(obj.involvedObject, 'involvedObject'),
    ...optionalString(obj.reason, 'reason'),
    ...optionalString(obj.message, 'message'),
  ];
  if (obj.type !== undefined && obj.type !== null && obj.type !== '' && !EVENT_TYPES.includes(obj.type as never)) {
    errs.push(FieldError.notSupported('type', obj.type, EVENT_TYPES));
  }
  return errs;
}
