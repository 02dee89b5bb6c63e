/**
 * Event's definition: columns as `kubectl get events` prints them, and the `involvedObject.*`
 * field selectors `kubectl describe` uses to find an object's events.
 */
import { eventField, eventLastSeen, eventObject, eventResource, validateEvent } from '../../api/core/event.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { humanAge } from '../columns.js';

const selectors: Record<string, (obj: KubeObject) => string | undefined> = {
  type: (obj) => eventField(obj, 'type') ?? '',
  reason: (obj) => eventField(obj, 'reason') ?? '',
  reportingComponent: (obj) => eventField(obj, 'reportingComponent') ?? '',
  source: (obj) => eventField(obj, 'source.component') ?? eventField(obj, 'reportingComponent') ?? '',
};
for (const key of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) {
  selectors[`involvedObject.${key}`] = (obj) => eventField(obj, `involvedObject.${key}`) ?? '';
}

export const eventDefinition: ResourceDefinition = {
  ...eventResource,
  listKind: 'EventList',
  singular: 'event',
  shortNames: ['ev'],
  strategy: {
    validate: validateEvent,
    validateUpdate: validateEvent,
  },
  hasStatus: false,
  columns: [
    {
      name: 'LAST SEEN',
      type: 'date',
      description: 'When the event was last observed.',
      cell: (obj) => humanAge(eventLastSeen(obj)),
    },
    { name: 'TYPE', type: 'string', cell: (obj) => eventField(obj, 'type') ?? '' },
    { name: 'REASON', type: 'string', cell: (obj) => eventField(obj, 'reason') ?? '' },
    { name: 'OBJECT', type: 'string', cell: eventObject },
    { name: 'MESSAGE', type: 'string', cell: (obj) => eventField(obj, 'message') ?? '' },
    { name: 'COUNT', type: 'integer', priority: 1, cell: (obj) => (typeof obj.count === 'number' ? obj.count : 1) },
  ],
  selectableFields: selectors,
};
