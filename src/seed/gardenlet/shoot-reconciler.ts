/**
 * The gardenlet's shoot controller: for every shoot this seed is responsible for (see
 * shoot-dispatch.ts) it runs the Create, Reconcile, Delete, Migrate or Restore flow and reports
 * progress in `status.lastOperation`, failures in `status.lastErrors` (keyed by step), and the
 * outcome in `status.seedName` (this seed after Create/Reconcile/Restore, null after Migrate),
 * the technical ID, the shoot's API address and `status.hibernated` (a hibernated shoot's
 * Reconcile takes its control plane down: docs/migration.md#hibernation); each operation's start,
 * success and failure are also Events on the Shoot (shoot-events.ts). During Migrate and Restore
 * the health conditions say Progressing. Level-triggered: after a seed restart every shoot is
 * looked at again and its control plane brought back, or its Migrate/Restore resumed.
 *
 * One file (~590 lines) on purpose: every operation (the live migration's parts included) goes
 * through the one `#run`, which owns how `lastOperation`, `lastErrors`, conditions and Events are
 * written; the flows themselves are shoot-flows.ts and the decision which one runs is
 * shoot-dispatch.ts.
 */
import {
  GARDENER_OPERATION_ANNOTATION,
  type LastOperation,
  type LastOperationState,
} from '../../api/core-gardener/common.js';
import { getCondition } from '../../api/core-gardener/conditions.js';
import { wantsLiveMigration } from '../../api/core-gardener/live-migration.js';
import { READY_FOR_MIGRATION } from '../../api/core-gardener/migration-readiness.js';
import { seedHasBackup } from '../../api/core-gardener/seed.js';
import {
  type Shoot,
  type ShootStatus,
  SKIP_READINESS_ANNOTATION,
  shootHibernationEnabled,
  shootResource,
  shootSpecSeedName,
  shootStatusSeedName,
} from '../../api/core-gardener/shoot.js';
import {
  credentialsAfterSuccess,
  credentialsAfterTakingOn,
  credentialsMergePatch,
  credentialsOf,
  rotationInProgress,
  shootOperationOf,
} from '../../api/core-gardener/shoot-operation.js';
import { type Condition, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { combineFlowHooks } from '../../flow/combined-hooks.js';
import type { Flow, FlowHooks } from '../../flow/flow.js';
import { flowErrors, wasCanceled } from '../../flow/flow-errors.js';
import { lastErrorsAfter } from '../../flow/last-errors.js';
import { describeProgress } from '../../flow/progress.js';
import { type SeedRuntime, type ShootComponents, shootComponents } from './components/index.js';
import type { MigrationMetrics } from './migration-metrics.js';
import { findForThisSeed } from './seed-scoped-read.js';
import { conditionsChanged, progressingConditions, shootHealthConditions } from './shoot-care.js';
import {
  type LiveMigrationPart,
  liveMigrationPartFor,
  type ShootOperation,
  shootOperationFor,
} from './shoot-dispatch.js';
import { advertisedUrl } from './shoot-endpoint.js';
import type { ShootEvents } from './shoot-events.js';
import {
  copyOfBackupsRequired,
  deleteFlow,
  etcdSnapshotRequired,
  liveMigrateFlow,
  liveMigrationAbortFlow,
  liveMigrationDestinationFlow,
  liveSourceBucket,
  migrateFlow,
  reconcileFlow,
} from './shoot-flows.js';
import { observeShootHealth } from './shoot-health-facts.js';
import { hibernatedConditions, hibernationConstraints, hibernationInEffect } from './shoot-hibernation.js';
import { placeShoot } from './shoot-placement.js';

export interface ShootReconcilerDeps extends SeedRuntime {
  /** Called around every step of the shoot flows (the crash tests' crash points). */
  flowHooks?: FlowHooks | undefined;
  /** Records the operations' Events on the Shoot in the garden (src/seed/gardenlet/shoot-events.ts). */
  events?: ShootEvents | undefined;
  /**
   * A shoot is being moved to this seed and the garden has not confirmed yet that this seed can
   * take it: the seed's heartbeat, asked for now rather than at its next interval, is that proof.
   */
  onIncomingMigration?: (() => void) | undefined;
  /** The seed's migration metrics: step durations, API downtime (migration-metrics.ts). */
  migrationMetrics?: MigrationMetrics | undefined;
}

export const shootFinalizer = 'gardener';

/** What a status merge patch sends: fields of the status, null where one goes. */
type StatusPatch = { [K in keyof ShootStatus]?: ShootStatus[K] | null };

/** How often a healthy shoot is looked at again. */
const resyncMs = 60_000;

/**
 * How soon a shoot being migrated live is looked at again while the other seed acts: the record
 * in the ShootState is not watched, and the destination starts once the source published it.
 */
const liveMigrationPollMs = 500;

/**
 * A failed flow is retried after 500 ms, doubling with every further failure up to 15 s: the
 * shoot controller's rate limiter (src/seed/seed.ts). Only a change `shootRetryTrigger` covers
 * (an operator's edit), or news from a watched Etcd or EtcdCopyBackupsTask, ends that wait early.
 */
export const shootRetryBackoff = Object.freeze({ baseDelayMs: 500, maxDelayMs: 15_000 });

export class ShootReconciler implements Reconciler {
  readonly #deps: ShootReconcilerDeps;

  constructor(deps: ShootReconcilerDeps) {
    this.#deps = deps;
  }

  /** `signal` (the seed stopping) cancels a running flow: its waits end at once. */
  async reconcile(key: ObjectKey, signal: AbortSignal): Promise<Result> {
    const shoot = await findForThisSeed(this.#shoots(), key.namespace, key.name);
    return shoot ? this.#dispatch(shoot, signal) : {};
  }

  async #dispatch(shoot: Shoot, signal: AbortSignal): Promise<Result> {
    const live = await this.#liveMigrationPart(shoot);
    switch (live?.part) {
      case 'Source':
        return this.#liveMigrate(shoot, live.c, signal);
      case 'Destination':
        return this.#liveMigrationDestination(shoot, live.c, liveMigrationDestinationFlow(live.c), signal);
      case 'Abort':
        return this.#liveMigrationDestination(shoot, live.c, liveMigrationAbortFlow(live.c), signal);
      case 'Wait':
        if (awaitsDestinationConfirmation(shoot, this.#deps.seedName)) this.#deps.onIncomingMigration?.();
        return { requeueAfterMs: liveMigrationPollMs };
    }
    const operation = shootOperationFor(shoot, this.#deps.seedName);
    switch (operation) {
      case undefined:
        if (awaitsDestinationConfirmation(shoot, this.#deps.seedName)) this.#deps.onIncomingMigration?.();
        return {};
      case 'Delete':
        return this.#delete(shoot, signal);
      case 'Migrate':
        return this.#migrate(shoot, signal);
      case 'Restore':
        return this.#restore(shoot, signal);
      default:
        return this.#reconcile(shoot, operation, signal);
    }
  }

  async #reconcile(annotated: Shoot, type: 'Create' | 'Reconcile', signal: AbortSignal): Promise<Result> {
    const shoot = await this.#takeOnOperation(annotated);
    const c = await this.#components(shoot, { allocate: true });
    // Bound back here after an aborted live migration: its record goes.
    if (wantsLiveMigration(shoot.metadata.annotations)) await c.liveMigration.clearAborted();
    const hibernated = shootHibernationEnabled(shoot);
    // A control plane whose etcd broke (e.g. a restore that cannot finish) is reconciled again,
    // so the failing step and its error show in the shoot's lastErrors.
    const upToDate =
      shoot.status?.observedGeneration === shoot.metadata.generation &&
      shoot.status?.lastOperation?.state === 'Succeeded' &&
      // A shoot whose URL changes (an internal domain added, a pool configured) is reconciled again.
      advertisedUrl(shoot) === c.context.endpoint.apiUrl &&
      !rotationInProgress(credentialsOf(shoot)) &&
      (hibernated
        ? await c.hibernation.hibernated()
        : c.kubeApiServer.running &&
          c.kubeControllerManager.running &&
          c.kubeScheduler.running &&
          c.vpnSeedServer.running &&
          (await c.etcdMain.healthy()));
    if (upToDate) {
      await this.#updateHealth(shoot, c);
      return { requeueAfterMs: resyncMs };
    }
    await this.#ensureFinalizer(shoot);
    const allowBackup = seedHasBackup(await c.context.seedObject());
    const flow = reconcileFlow(c, { operation: type, allowBackup, skipReadiness: skipReadiness(shoot), hibernated });
    await this.#run(shoot, type, flow, signal, this.#identityStatus(shoot, c), () => this.#hostedHereStatus(shoot, c));
    await this.#dropSkipReadiness(shoot);
    return { requeueAfterMs: resyncMs };
  }

  /**
   * Migrate on the source seed. On success `status.seedName` becomes null (the seed document's
   * protocol): the destination's cue to restore, and this seed is no longer responsible.
   */
  async #migrate(shoot: Shoot, signal: AbortSignal): Promise<Result> {
    const c = await this.#components(shoot, { allocate: false });
    const flow = migrateFlow(c, {
      etcdSnapshotRequired: await etcdSnapshotRequired(c),
      wakeupRequired: hibernationInEffect(shoot),
    });
    const conditions = progressingConditions(
      shoot.status?.conditions ?? [],
      'ShootMigrating',
      `The control plane is being migrated from seed ${this.#deps.seedName} to seed ${shootSpecSeedName(shoot)}.`,
    );
    await this.#run(shoot, 'Migrate', flow, signal, { conditions }, async () => {
      // Before the hand-over (the destination reads it once it restored): when this seed's API
      // server stopped. Unknown after a restart of this seed since: then nothing is noted.
      const stoppedAt = this.#deps.apiServers.stoppedAt(c.context.namespace);
      if (this.#deps.migrationMetrics && stoppedAt !== undefined) {
        await c.shootState
          .recordApiServerStopped(new Date(stoppedAt))
          .catch((err: unknown) =>
            this.#deps.logger.warn({ err: (err as Error).message }, 'could not note when the API server stopped'),
          );
      }
      return { seedName: null, lastErrors: null };
    });
    return {};
  }

  /**
   * The live migration's part of this seed for `shoot`, with its components, or undefined when no
   * live migration concerns it (the ordinary dispatch decides). The record is read only for a
   * shoot that asks for a live migration.
   */
  async #liveMigrationPart(shoot: Shoot): Promise<{ part: LiveMigrationPart; c: ShootComponents } | undefined> {
    if (!wantsLiveMigration(shoot.metadata.annotations)) return undefined;
    const [spec, status] = [shootSpecSeedName(shoot), shootStatusSeedName(shoot)];
    const destination = spec === this.#deps.seedName;
    if (spec === status || (!destination && status !== this.#deps.seedName)) return undefined;
    const c = await this.#components(shoot, { allocate: destination });
    const part = liveMigrationPartFor(shoot, this.#deps.seedName, await c.liveMigration.get());
    return part ? { part, c } : undefined;
  }

  /**
   * The live Migrate on the source seed: as the classic one, it owns `lastOperation` and ends with
   * `status.seedName: null`, but the control plane serves throughout (docs/live-migration.md).
   */
  async #liveMigrate(shoot: Shoot, c: ShootComponents, signal: AbortSignal): Promise<Result> {
    const flow = liveMigrateFlow(c, { endpointReleased: await c.liveMigration.reached('SwitchingEndpoint') });
    const conditions = progressingConditions(
      shoot.status?.conditions ?? [],
      'ShootMigrating',
      `The control plane is being migrated live from seed ${this.#deps.seedName} to seed ${shootSpecSeedName(shoot)}.`,
    );
    await this.#run(shoot, 'Migrate', flow, signal, { conditions }, async () => ({ seedName: null, lastErrors: null }));
    return {};
  }

  /**
   * The destination's part of a live migration, or its abort: `lastOperation` is the source's, so
   * the progress goes into the record (`destination.step`, `destination.progress`) and the log; a
   * failure is retried with the controller's backoff. Afterwards the ordinary Restore adopts what
   * runs here.
   */
  async #liveMigrationDestination(shoot: Shoot, c: ShootComponents, flow: Flow, signal: AbortSignal): Promise<Result> {
    const log = this.#deps.logger.child({
      shoot: `${shoot.metadata.namespace}/${shoot.metadata.name}`,
      operation: 'LiveMigration',
    });
    try {
      await flow.run({
        progressReporter: (p) => c.liveMigration.report(describeProgress(p), Math.min(p.progress, 99)),
        log: (msg, fields, level) => log[level](fields, msg),
        hooks: this.#hooks(shoot, true),
        signal,
      });
    } catch (err) {
      if (!wasCanceled(err)) {
        const described = flowErrors(err)
          .map((e) => `${e.taskID}: ${e.error.message}`)
          .join('; ');
        log.warn({ errors: described || (err as Error).message }, 'flow failed');
      }
      throw err;
    }
    return { requeueAfterMs: liveMigrationPollMs };
  }

  /** Restore on the destination seed; on success the shoot is hosted here (`status.seedName`). */
  async #restore(annotated: Shoot, signal: AbortSignal): Promise<Result> {
    const shoot = await this.#takeOnOperation(annotated);
    const c = await this.#components(shoot, { allocate: true });
    await this.#ensureFinalizer(shoot);
    const flow = reconcileFlow(c, {
      operation: 'Restore',
      // A migration needs backups: the destination restores from them.
      allowBackup: true,
      copyRequired: await copyOfBackupsRequired(c),
      liveSourceBucket: await liveSourceBucket(c),
      skipReadiness: skipReadiness(shoot),
      // Gardener restores a hibernated shoot hibernated: its data restored, nothing running.
      hibernated: shootHibernationEnabled(shoot),
    });
    const conditions = progressingConditions(
      shoot.status?.conditions ?? [],
      'ShootRestoring',
      `The control plane is being restored on seed ${this.#deps.seedName} after its migration.`,
    );
    // The health is judged afresh from the Progressing conditions, and the move is over.
    await this.#run(shoot, 'Restore', flow, signal, { ...this.#identityStatus(shoot, c), conditions }, async () => ({
      ...(await this.#hostedHereStatus(shoot, c, conditions)),
      migrationStartTime: null,
    }));
    await this.#recordDowntime(shoot, c);
    await this.#dropSkipReadiness(shoot);
    return { requeueAfterMs: resyncMs };
  }

  /**
   * After a Restore: the API's downtime, from the source's stop the ShootState notes to this
   * seed's API server's start. Only a stop noted in this migration counts (not before its
   * `migrationStartTime`), and only an API server that started after it (a live migration's
   * destination served before its source stopped: no downtime to report).
   */
  async #recordDowntime(shoot: Shoot, c: ShootComponents): Promise<void> {
    const metrics = this.#deps.migrationMetrics;
    const servingSince = this.#deps.apiServers.startedAt(c.context.namespace);
    if (!metrics || servingSince === undefined) return;
    const stoppedAt = await c.shootState.apiServerStoppedAt().catch(() => undefined);
    const migrationStart = Date.parse(shoot.status?.migrationStartTime ?? '');
    if (!stoppedAt || stoppedAt.getTime() < migrationStart || servingSince < stoppedAt.getTime()) return;
    metrics.apiDowntime(shootKey(shoot), (servingSince - stoppedAt.getTime()) / 1000);
  }

  /** The crash points' hooks, with the step metrics' for a migration flow. */
  #hooks(shoot: Shoot, migration: boolean): FlowHooks | undefined {
    const metrics = migration ? this.#deps.migrationMetrics?.stepHooks(shootKey(shoot)) : undefined;
    return combineFlowHooks(this.#deps.flowHooks, metrics);
  }

  /**
   * The shoot's components, reached where its placement says: a flow that builds the control
   * plane here takes an address from the seed's pool, one that takes it down only reads it.
   */
  async #components(shoot: Shoot, options: { allocate: boolean }): Promise<ShootComponents> {
    return shootComponents(shoot, this.#deps, await placeShoot(shoot, this.#deps, options));
  }

  /**
   * What a successful Create, Reconcile or Restore writes: the shoot runs here, and how it is
   * (judged from `current`: the Progressing conditions after a Restore); a credentials rotation it
   * carried out moves on (Preparing → Prepared, Completing → Completed).
   */
  async #hostedHereStatus(
    shoot: Shoot,
    c: ShootComponents,
    current: readonly Condition[] = shoot.status?.conditions ?? [],
  ): Promise<ShootStatus> {
    const credentials = credentialsOf(shoot);
    const hibernated = shootHibernationEnabled(shoot);
    return {
      seedName: this.#deps.seedName,
      observedGeneration: shoot.metadata.generation,
      conditions: await this.#health({ ...shoot, status: { ...shoot.status, hibernated } }, c, current),
      hibernated,
      constraints: hibernationConstraints(shoot.status?.constraints ?? [], hibernated),
      ...(rotationInProgress(credentials)
        ? { credentials: credentialsMergePatch(credentials, credentialsAfterSuccess(credentials, nowTimestamp())) }
        : {}),
    };
  }

  /**
   * Takes a `gardener.cloud/operation` rotation on (src/api/core-gardener/shoot-operation.ts): the
   * phase goes into the status first, then the annotation goes — a crash in between takes it on
   * again, which changes nothing. Returns the shoot as it is afterwards.
   */
  async #takeOnOperation(shoot: Shoot): Promise<Shoot> {
    const current = credentialsOf(shoot);
    const credentials = credentialsAfterTakingOn(current, shootOperationOf(shoot), nowTimestamp());
    if (!credentials) return shoot;
    await this.#patchStatus(shoot, { credentials: credentialsMergePatch(current, credentials) });
    return this.#shoots().patch(shoot.metadata.namespace!, shoot.metadata.name!, {
      metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: null } },
    });
  }

  /**
   * The shoot's health conditions as this seed sees them now (src/seed/gardenlet/shoot-care.ts).
   * Looking fails nothing: an operation that succeeded is not retried for it, the conditions stay.
   */
  async #health(
    shoot: Shoot,
    c: ShootComponents,
    current: readonly Condition[] = shoot.status?.conditions ?? [],
  ): Promise<Condition[]> {
    if (hibernationInEffect(shoot)) return hibernatedConditions(current);
    try {
      return shootHealthConditions(current, await observeShootHealth(c));
    } catch (err) {
      this.#deps.logger.warn(
        { shoot: `${shoot.metadata.namespace}/${shoot.metadata.name}`, err: (err as Error).message },
        'health check failed',
      );
      return [...current];
    }
  }

  /** Between operations: writes the health conditions only when one of them changed. */
  async #updateHealth(shoot: Shoot, c: ShootComponents): Promise<void> {
    const current = shoot.status?.conditions ?? [];
    const next = await this.#health(shoot, c);
    if (conditionsChanged(current, next)) await this.#patchStatus(shoot, { conditions: next });
  }

  /** The status fields that name the control plane: where to reach it and its technical ID. */
  #identityStatus(shoot: Shoot, c: ShootComponents): ShootStatus {
    return {
      advertisedAddresses: [{ name: 'external', url: c.context.endpoint.apiUrl }],
      technicalID: c.context.namespace,
      uid: shoot.metadata.uid,
    };
  }

  async #ensureFinalizer(shoot: Shoot): Promise<void> {
    if ((shoot.metadata.finalizers ?? []).includes(shootFinalizer)) return;
    await this.#shoots().patch(shoot.metadata.namespace!, shoot.metadata.name!, {
      metadata: {
        finalizers: [...(shoot.metadata.finalizers ?? []), shootFinalizer],
        resourceVersion: shoot.metadata.resourceVersion,
      },
    });
  }

  /** skip-readiness is a one-off: it goes after the reconcile or restore it applied to succeeded. */
  async #dropSkipReadiness(shoot: Shoot): Promise<void> {
    if (!skipReadiness(shoot)) return;
    await this.#shoots().patch(shoot.metadata.namespace!, shoot.metadata.name!, {
      metadata: { annotations: { [SKIP_READINESS_ANNOTATION]: null } },
    });
  }

  async #delete(shoot: Shoot, signal: AbortSignal): Promise<Result> {
    if (!(shoot.metadata.finalizers ?? []).includes(shootFinalizer)) return {};
    await this.#run(shoot, 'Delete', deleteFlow(await this.#components(shoot, { allocate: false })), signal, {});
    const current = await this.#shoots().find(shoot.metadata.namespace!, shoot.metadata.name!);
    if (!current) return {};
    const finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== shootFinalizer);
    await this.#shoots().patch(current.metadata.namespace!, current.metadata.name!, {
      metadata: {
        finalizers: finalizers.length > 0 ? finalizers : null,
        resourceVersion: current.metadata.resourceVersion,
      },
    });
    return {};
  }

  /**
   * Runs a flow with lastOperation kept current; on success writes `successStatus` with the
   * Succeeded lastOperation (one write, so no one sees one without the other); on failure records
   * lastErrors and rethrows (retry with backoff). A flow canceled because the seed stops writes
   * nothing: it did not fail, and the seed runs it again when it is back.
   */
  async #run(
    shoot: Shoot,
    type: ShootOperation,
    flow: Flow,
    signal: AbortSignal,
    startStatus: ShootStatus,
    successStatus: () => Promise<StatusPatch> = async () => ({}),
  ): Promise<void> {
    const previousErrors = shoot.status?.lastErrors ?? [];
    await this.#patchStatus(shoot, {
      ...startStatus,
      lastOperation: operation(type, 'Processing', 0, startMessage(type)),
    });
    await this.#deps.events?.started(shoot, type);
    const log = this.#deps.logger.child({
      shoot: `${shoot.metadata.namespace}/${shoot.metadata.name}`,
      operation: type,
    });
    try {
      await flow.run({
        progressReporter: (p) =>
          this.#patchStatus(shoot, {
            lastOperation: operation(type, 'Processing', Math.min(p.progress, 99), describeProgress(p)),
          }),
        // Each step's start and end at info level: what an operator (or a crash test) follows.
        log: (msg, fields, level) => log[level](fields, msg),
        hooks: this.#hooks(shoot, type === 'Migrate' || type === 'Restore'),
        signal,
      });
      // Before the status says so, as Gardener records it: after a Migrate's write this seed no
      // longer serves the shoot, and SeedRestriction refuses its Events about it.
      await this.#deps.events?.succeeded(shoot, type);
      // As in Gardener, a successful operation leaves no lastErrors, also none of steps it
      // skipped (skip-readiness).
      await this.#patchStatus(shoot, {
        lastOperation: operation(type, 'Succeeded', 100, successMessage(type)),
        lastErrors: null,
        ...(await successStatus()),
      });
    } catch (err) {
      if (wasCanceled(err)) {
        log.info({}, 'flow canceled: the seed is stopping');
        throw err;
      }
      const errors = lastErrorsAfter(previousErrors, err as Parameters<typeof lastErrorsAfter>[1]);
      const described = flowErrors(err)
        .map((e) => `${e.taskID}: ${e.error.message}`)
        .join('; ');
      log.warn({ errors: described || (err as Error).message }, 'flow failed');
      const description = `${flow.name} failed: ${described || (err as Error).message}`;
      await this.#deps.events?.failed(shoot, type, description);
      await this.#patchStatus(shoot, {
        lastOperation: operation(type, 'Error', lastProgress(shoot), description),
        lastErrors: errors,
      }).catch(() => undefined);
      throw err;
    }
  }

  async #patchStatus(shoot: Shoot, status: StatusPatch): Promise<void> {
    await this.#shoots().patch(shoot.metadata.namespace!, shoot.metadata.name!, { status }, { subresource: 'status' });
  }

  #shoots() {
    return this.#deps.garden.resource(shootResource);
  }
}

/** What, when it changes, ends a failed shoot's wait: everything but the status the gardenlet writes. */
export function shootRetryTrigger(shoot: KubeObject): string {
  const { generation, annotations, deletionTimestamp } = shoot.metadata;
  return JSON.stringify([generation, annotations ?? {}, deletionTimestamp ?? null, shoot.spec ?? null]);
}

/**
 * The shoot is bound to this seed while another one still hosts it, and the garden has not said
 * yet that this seed is ready to take it (its `ReadyForMigration` constraint is not True).
 */
function awaitsDestinationConfirmation(shoot: Shoot, seedName: string): boolean {
  const status = shootStatusSeedName(shoot);
  if (shootSpecSeedName(shoot) !== seedName || status === undefined || status === seedName) return false;
  return getCondition(shoot.status?.constraints ?? [], READY_FOR_MIGRATION)?.status !== 'True';
}

/** How the migration metrics name a shoot: `<namespace>/<name>` in the garden. */
function shootKey(shoot: Shoot): string {
  return `${shoot.metadata.namespace}/${shoot.metadata.name}`;
}

function skipReadiness(shoot: Shoot): boolean {
  return shoot.metadata.annotations?.[SKIP_READINESS_ANNOTATION] !== undefined;
}

function operation(
  type: ShootOperation,
  state: LastOperationState,
  progress: number,
  description: string,
): LastOperation {
  return { type, state, progress, description, lastUpdateTime: nowTimestamp() };
}

function lastProgress(shoot: Shoot): number {
  return shoot.status?.lastOperation?.progress ?? 0;
}

/** Gardener's messages when an operation starts. */
function startMessage(type: ShootOperation): string {
  switch (type) {
    case 'Create':
      return 'Shoot cluster creation initialized.';
    case 'Reconcile':
      return 'Shoot cluster reconciliation initialized.';
    case 'Delete':
      return 'Shoot cluster deletion initialized.';
    case 'Migrate':
      return 'Preparation of Shoot cluster for migration initialized.';
    case 'Restore':
      return 'Restoration of Shoot cluster initialized.';
  }
}

/** Gardener's messages when an operation succeeded. */
function successMessage(type: ShootOperation): string {
  switch (type) {
    case 'Create':
      return 'Shoot cluster has been successfully created.';
    case 'Reconcile':
      return 'Shoot cluster has been successfully reconciled.';
    case 'Delete':
      return 'Shoot cluster has been successfully deleted.';
    case 'Migrate':
      return 'Shoot cluster has been successfully prepared for migration.';
    case 'Restore':
      return 'Shoot cluster has been successfully restored.';
  }
}
