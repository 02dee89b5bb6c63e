/**
 * events.k8s.io/v1 Event: the same objects as core v1 Events, under other field names (k8s
 * pkg/apis/events/v1/conversion.go) — regarding/involvedObject, note/message,
 * reportingController/reportingComponent and the `deprecated*` fields. Events are stored as core
 * Events, so both APIs list the same ones.
 */
import type { KubeObject } from '../meta.js';

/** events.k8s.io name → core name; the fields not listed have the same name in both. */
const renamed: Readonly<Record<string, string>> = {
  regarding: 'involvedObject',
  note: 'message',
  reportingController: 'reportingComponent',
  deprecatedSource: 'source',
  deprecatedFirstTimestamp: 'firstTimestamp',
  deprecatedLastTimestamp: 'lastTimestamp',
  deprecatedCount: 'count',
};

const back: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(renamed).map(([a, b]) => [b, a]));

function rename(obj: KubeObject, names: Readonly<Record<string, string>>, apiVersion: string): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Event', metadata: structuredClone(obj.metadata) };
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    out[names[key] ?? key] = structuredClone(value);
  }
  return out;
}

/** A stored core Event as an events.k8s.io/v1 Event. */
export function coreEventToEventsV1(event: KubeObject): KubeObject {
  return rename(event, back, 'events.k8s.io/v1');
}

/** An events.k8s.io/v1 Event as the core Event it is stored as. */
export function eventsV1ToCoreEvent(event: KubeObject): KubeObject {
  return rename(event, renamed, 'v1');
}
