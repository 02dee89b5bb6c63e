/**
 * Events a controller reports about an object (client-go's EventRecorder, core/v1 Events): what
 * `kubectl describe` shows under Events — a Job's "Created pod: …", a CronJob's "Created job …".
 * Named `<object>.<nanoseconds in hex>` as client-go names them. Recording is best effort: a lost
 * event never fails or repeats a reconcile.
 */
import type { Logger } from 'pino';
import { eventResource } from '../../api/core/event.js';
import { type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { Client } from '../../client/client.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(object: KubeObject, type: EventType, reason: string, message: string): void;
}

/** Records events about objects of `kind` as `component` (`job-controller`, `cronjob-controller`). */
export function eventRecorder(
  client: Client,
  component: string,
  kind: { apiVersion: string; kind: string },
  logger?: Logger,
): EventRecorder {
  return {
    event(object, type, reason, message) {
      const now = new Date();
      const namespace = object.metadata.namespace || 'default';
      const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000);
      const name = `${object.metadata.name}.${nanos.toString(16)}`;
      client
        .resource(eventResource)
        .create(namespace, {
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: kind.apiVersion,
            kind: kind.kind,
            namespace: object.metadata.namespace,
            name: object.metadata.name,
            uid: object.metadata.uid,
            resourceVersion: object.metadata.resourceVersion,
          },
          reason,
          message,
          type,
          source: { component },
          reportingComponent: component,
          reportingInstance: '',
          firstTimestamp: nowTimestamp(now),
          lastTimestamp: nowTimestamp(now),
          count: 1,
        })
        .catch((err: unknown) => logger?.debug({ err: (err as Error).message, reason }, 'event not recorded'));
    },
  };
}
