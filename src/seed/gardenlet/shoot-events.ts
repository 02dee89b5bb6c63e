/**
 * The Events the gardenlet's shoot controller records on a Shoot in the garden, with Gardener's
 * reasons, actions and messages (`pkg/gardenlet/controller/shoot/shoot/reconciler.go`,
 * `pkg/apis/core/v1beta1/types_common.go`, v1.149.3), so that `kubectl describe shoot` and
 * `kubectl get events -n garden-<project>` tell what happened to it. Create, Reconcile and
 * Restore share Gardener's reconcile reasons; a failure's message is the lastOperation's.
 */
import type { Logger } from 'pino';
import { type Shoot, shootResource } from '../../api/core-gardener/shoot.js';
import type { Client } from '../../client/client.js';
import { EventRecorder } from '../../controller/event-recorder.js';
import type { ShootOperation } from './shoot-dispatch.js';

interface OperationEvents {
  action: 'Reconcile' | 'Migrate' | 'Delete';
  started: [reason: string, message: string];
  succeeded: [reason: string, message: string];
  failed: string;
}

const reconcile = (verb: string, done: string): OperationEvents => ({
  action: 'Reconcile',
  started: ['Reconciling', `${verb} Shoot cluster`],
  succeeded: ['Reconciled', `${done} Shoot cluster`],
  failed: 'ReconcileError',
});

export const SHOOT_OPERATION_EVENTS: Readonly<Record<ShootOperation, OperationEvents>> = Object.freeze({
  Create: reconcile('Reconciling', 'Reconciled'),
  Reconcile: reconcile('Reconciling', 'Reconciled'),
  Restore: reconcile('Restoring', 'Restored'),
  Migrate: {
    action: 'Migrate',
    started: ['PrepareMigration', 'Preparing Shoot cluster for migration'],
    succeeded: ['MigrationPrepared', 'Prepared Shoot cluster for migration'],
    failed: 'MigrationPreparationFailed',
  },
  Delete: {
    action: 'Delete',
    started: ['Deleting', 'Deleting Shoot cluster'],
    succeeded: ['Deleted', 'Deleted Shoot cluster'],
    failed: 'DeleteError',
  },
});

/** Gardener's gardenlet records as `shoot-controller`. */
export const SHOOT_EVENTS_COMPONENT = 'shoot-controller';

export class ShootEvents {
  readonly #recorder: EventRecorder;

  /** `garden`: the gardenlet's client of the garden; `seedName` is the reporting instance. */
  constructor(garden: Client, seedName: string, logger: Logger) {
    this.#recorder = new EventRecorder(
      garden,
      { component: SHOOT_EVENTS_COMPONENT, instance: `gardenlet-${seedName}` },
      logger,
      shootResource,
    );
  }

  // Each resolves once the Event is written or dropped (never rejects).

  started(shoot: Shoot, operation: ShootOperation): Promise<void> {
    const { action, started } = SHOOT_OPERATION_EVENTS[operation];
    return this.#recorder.record(shoot, { type: 'Normal', reason: started[0], message: started[1], action });
  }

  succeeded(shoot: Shoot, operation: ShootOperation): Promise<void> {
    const { action, succeeded } = SHOOT_OPERATION_EVENTS[operation];
    return this.#recorder.record(shoot, { type: 'Normal', reason: succeeded[0], message: succeeded[1], action });
  }

  failed(shoot: Shoot, operation: ShootOperation, description: string): Promise<void> {
    const { action, failed } = SHOOT_OPERATION_EVENTS[operation];
    return this.#recorder.record(shoot, { type: 'Warning', reason: failed, message: description, action });
  }
}
