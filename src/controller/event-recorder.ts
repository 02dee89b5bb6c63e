/**
 * Events about an object, as client-go's EventRecorder writes them (core/v1 Events, without its
 * aggregation): what `kubectl describe` and `kubectl get events` show — "Scheduled" from
 * default-scheduler; "Pulled", "Created", "Started" and "Killing" from a node's kubelet;
 * "ScalingReplicaSet", "SuccessfulCreate", "Completed", "SawCompletedJob", … from the controller
 * manager's controllers. One recorder for all of them: the scheduler, the node agents and every
 * controller write events through this class.
 *
 * An event is named `<object>.<nanoseconds in hex>` as client-go names it. Recording is best
 * effort: an event that cannot be written is logged and dropped, as client-go drops it — events
 * are for people, nothing depends on them, and a lost one never fails or repeats a reconcile.
 */
import type { Logger } from 'pino';
import { eventResource } from '../api/core/event.js';
import { type KubeObject, nowTimestamp } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';
import type { Client } from '../client/client.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** `default-scheduler`, `kubelet`, `deployment-controller`, `job-controller`, … */
  component: string;
  /** The node, for a kubelet's events. */
  host?: string;
  /** `reportingInstance` when it is not the host (e.g. which gardenlet). */
  instance?: string;
}

export interface EventDetails {
  type: EventType;
  reason: string;
  message: string;
  /** The part of the object the event is about, e.g. `spec.containers{web}`. */
  fieldPath?: string;
  /** What was done or failed (`Reconcile`, `Migrate`, `Delete`), as events.k8s.io's recorder sets it. */
  action?: string;
}

export class EventRecorder {
  readonly #client: Client;
  readonly #source: EventSource;
  readonly #logger: Logger;
  readonly #kind: { apiVersion: string; kind: string } | undefined;

  /**
   * `about` is the kind of the objects this recorder reports on, for objects read without their
   * `apiVersion` and `kind` (as informers hand them out); without it, the object's own fields name
   * its kind (a Pod when it has none).
   */
  constructor(client: Client, source: EventSource, logger: Logger, about?: ResourceRef) {
    this.#client = client;
    this.#source = source;
    this.#logger = logger;
    this.#kind = about && {
      apiVersion: about.group ? `${about.group}/${about.version}` : about.version,
      kind: about.kind,
    };
  }

  /** Writes the event; never throws. */
  async record(about: KubeObject, details: EventDetails): Promise<void> {
    const now = new Date();
    const namespace = about.metadata.namespace || 'default';
    // client-go names an event after its object and its timestamp in nanoseconds.
    const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
    const timestamp = nowTimestamp(now);
    const event: KubeObject = {
      metadata: { name: `${about.metadata.name}.${nanos.toString(16)}`, namespace },
      involvedObject: {
        apiVersion: this.#kind?.apiVersion ?? about.apiVersion ?? 'v1',
        kind: this.#kind?.kind ?? about.kind ?? 'Pod',
        namespace,
        name: about.metadata.name,
        uid: about.metadata.uid,
        resourceVersion: about.metadata.resourceVersion,
        ...(details.fieldPath ? { fieldPath: details.fieldPath } : {}),
      },
      type: details.type,
      reason: details.reason,
      ...(details.action ? { action: details.action } : {}),
      message: details.message,
      source: { component: this.#source.component, ...(this.#source.host ? { host: this.#source.host } : {}) },
      reportingComponent: this.#source.component,
      reportingInstance: this.#source.instance ?? this.#source.host ?? '',
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    };
    try {
      await this.#client.resource(eventResource).create(namespace, event);
    } catch (err) {
      this.#logger.warn(
        { err: (err as Error).message, component: this.#source.component, reason: details.reason },
        'event dropped',
      );
    }
  }

  /** Records the event without waiting for it: a controller's reconcile goes on meanwhile. */
  event(about: KubeObject, type: EventType, reason: string, message: string): void {
    void this.record(about, { type, reason, message });
  }
}
