/**
 * Events about an object, as client-go's EventRecorder writes them (core/v1 Events): what
 * `kubectl describe` and `kubectl get events` show — "Scheduled" from default-scheduler, "Pulled",
 * "Created", "Started" and "Killing" from a node's kubelet. An event that cannot be written is
 * logged and dropped, as client-go drops it: events are for people, nothing depends on them.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { eventResource } from '../api/core/event.js';
import { type KubeObject, nowTimestamp } from '../api/meta.js';
import type { Client } from '../client/client.js';

export interface EventSource {
  /** `default-scheduler`, `kubelet`, … */
  component: string;
  /** The node, for a kubelet's events. */
  host?: string;
}

export interface EventDetails {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The part of the object the event is about, e.g. `spec.containers{web}`. */
  fieldPath?: string;
}

export class EventRecorder {
  readonly #client: Client;
  readonly #source: EventSource;
  readonly #logger: Logger;

  constructor(client: Client, source: EventSource, logger: Logger) {
    this.#client = client;
    this.#source = source;
    this.#logger = logger;
  }

  /** Writes the event; never throws. */
  async record(about: KubeObject, details: EventDetails): Promise<void> {
    const namespace = about.metadata.namespace || 'default';
    const now = nowTimestamp();
    const event: KubeObject = {
      metadata: { name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: about.apiVersion ?? 'v1',
        kind: about.kind ?? 'Pod',
        namespace,
        name: about.metadata.name,
        uid: about.metadata.uid,
        resourceVersion: about.metadata.resourceVersion,
        ...(details.fieldPath ? { fieldPath: details.fieldPath } : {}),
      },
      type: details.type,
      reason: details.reason,
      message: details.message,
      source: { component: this.#source.component, ...(this.#source.host ? { host: this.#source.host } : {}) },
      reportingComponent: this.#source.component,
      reportingInstance: this.#source.host ?? '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.#client.resource(eventResource).create(namespace, event);
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message, reason: details.reason }, 'event dropped');
    }
  }
}
