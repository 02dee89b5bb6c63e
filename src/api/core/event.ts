/**
 * Event (v1, namespaced): what controllers report about an object (`involvedObject`). Columns
 * follow `kubectl get events`; the `involvedObject.*` field selectors are what `kubectl describe`
 * uses to find an object's events.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { optionalObject, optionalString } from '../validation.js';
import { humanAge } from './common.js';

export const EVENT_TYPES = ['Normal', 'Warning'] as const;

function field(obj: KubeObject, path: string): string | undefined {
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
    field(event, 'lastTimestamp') ??
    field(event, 'series.lastObservedTime') ??
    field(event, 'eventTime') ??
    event.metadata.creationTimestamp ??
    null
  );
}

/** `kind/name` of the involved object, with the kind lower-cased as kubectl prints it. */
export function eventObject(event: KubeObject): string {
  const kind = field(event, 'involvedObject.kind') ?? '';
  const name = field(event, 'involvedObject.name') ?? '';
  return kind ? `${kind.toLowerCase()}/${name}` : name;
}

function validateEvent(obj: KubeObject): FieldError[] {
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

const selectors: Record<string, (obj: KubeObject) => string | undefined> = {
  type: (obj) => field(obj, 'type') ?? '',
  reason: (obj) => field(obj, 'reason') ?? '',
  reportingComponent: (obj) => field(obj, 'reportingComponent') ?? '',
  source: (obj) => field(obj, 'source.component') ?? field(obj, 'reportingComponent') ?? '',
};
for (const key of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) {
  selectors[`involvedObject.${key}`] = (obj) => field(obj, `involvedObject.${key}`) ?? '';
}

export const eventResource: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  strategy: {
    validate: (obj) => validateEvent(obj),
    validateUpdate: (obj) => validateEvent(obj),
  },
  hasStatus: false,
  columns: [
    {
      name: 'LAST SEEN',
      type: 'date',
      description: 'When the event was last observed.',
      cell: (obj) => humanAge(eventLastSeen(obj)),
    },
    { name: 'TYPE', type: 'string', cell: (obj) => field(obj, 'type') ?? '' },
    { name: 'REASON', type: 'string', cell: (obj) => field(obj, 'reason') ?? '' },
    { name: 'OBJECT', type: 'string', cell: eventObject },
    { name: 'MESSAGE', type: 'string', cell: (obj) => field(obj, 'message') ?? '' },
    { name: 'COUNT', type: 'integer', priority: 1, cell: (obj) => (typeof obj.count === 'number' ? obj.count : 1) },
  ],
  selectableFields: selectors,
};
