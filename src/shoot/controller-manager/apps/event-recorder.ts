/**
 * Events the workload controllers write about their objects (client-go's EventRecorder, without
 * its aggregation): `kubectl describe deployment web` shows `ScalingReplicaSet` and friends.
 * Recording is best effort: a failed write is logged, never fails a reconcile.
 */
import type { Logger } from 'pino';
import { eventResource } from '../../../api/core/event.js';
import { type KubeObject, nowTimestamp } from '../../../api/meta.js';
import type { ResourceRef } from '../../../api/resource-ref.js';
import type { Client } from '../../../client/client.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  readonly #client: Client;
  readonly #component: string;
  readonly #onError: (err: unknown) => void;

  /** `component` is the reporting controller (`deployment-controller`, `replicaset-controller`). */
  constructor(client: Client, component: string, logger: Logger) {
    this.#client = client;
    this.#component = component;
    this.#onError = (err) => logger.warn({ err: (err as Error).message, component }, 'recording an event failed');
  }

  event(ref: ResourceRef, obj: KubeObject, type: EventType, reason: string, message: string): void {
    const now = new Date();
    const namespace = obj.metadata.namespace ?? 'default';
    // Kubernetes names an event `<object>.<unique hex>` (its timestamp in nanoseconds).
    const unique = `${now.getTime().toString(16)}${Math.floor(Math.random() * 0xfffff)
      .toString(16)
      .padStart(5, '0')}`;
    const name = `${obj.metadata.name}.${unique}`;
    const timestamp = nowTimestamp(now);
    void this.#client
      .resource(eventResource)
      .create(namespace, {
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: ref.group ? `${ref.group}/${ref.version}` : ref.version,
          kind: ref.kind,
          namespace,
          name: obj.metadata.name,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: '',
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
      })
      .catch(this.#onError);
  }
}
