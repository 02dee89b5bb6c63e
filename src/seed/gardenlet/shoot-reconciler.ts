/**
 * The gardenlet's shoot controller: for every shoot placed on this seed it runs the Create,
 * Reconcile or Delete flow and reports progress in `status.lastOperation`, failures in
 * `status.lastErrors` (keyed by step), success with `status.seedName`, the technical ID and the
 * shoot's API address. Level-triggered: after a seed restart every shoot is looked at again and
 * its control plane brought back.
 */
import type { LastError, LastOperation } from '../../api/core-gardener/common.js';
import { seedHasBackup, seedResource } from '../../api/core-gardener/seed.js';
import { shootResource } from '../../api/core-gardener/shoot.js';
import { isNotFound } from '../../api/errors.js';
import { isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import type { Flow } from '../../flow/flow.js';
import { flowErrors } from '../../flow/flow-errors.js';
import { lastErrorsAfter } from '../../flow/last-errors.js';
import { describeProgress } from '../../flow/progress.js';
import { Botanist, type BotanistDeps } from './botanist.js';
import { deleteFlow, reconcileFlow } from './shoot-flows.js';

export const shootFinalizer = 'gardener';

/** How often a healthy shoot is looked at again. */
const resyncMs = 60_000;

type OperationType = 'Create' | 'Reconcile' | 'Delete';

export class ShootReconciler implements Reconciler {
  readonly #deps: BotanistDeps;
  /** The garden key of each shoot this seed hosts, by its control-plane namespace (technical ID). */
  readonly #shootsByNamespace = new Map<string, ObjectKey>();

  constructor(deps: BotanistDeps) {
    this.#deps = deps;
  }

  /** The shoot whose control plane lives in the seed namespace `namespace`, once reconciled here. */
  shootOf(namespace: string): ObjectKey | undefined {
    return this.#shootsByNamespace.get(namespace);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const shoot = await this.#get(key);
    if (!shoot || !this.#responsible(shoot)) return {};
    if (shoot.metadata.deletionTimestamp) return this.#delete(shoot);
    return this.#reconcile(shoot);
  }

  /**
   * This seed runs the shoot's Create/Reconcile/Delete when the shoot is placed here and not
   * being moved: while `status.seedName` names another seed, a control plane still lives there,
   * and starting a second one here could serve the shoot twice (Migrate/Restore handle moves).
   */
  #responsible(shoot: KubeObject): boolean {
    const spec = isRecord(shoot.spec) ? shoot.spec : {};
    const status = isRecord(shoot.status) ? shoot.status : {};
    const hostedElsewhere = typeof status.seedName === 'string' && status.seedName !== this.#deps.seedName;
    return spec.seedName === this.#deps.seedName && !hostedElsewhere;
  }

  async #reconcile(shoot: KubeObject): Promise<Result> {
    const botanist = new Botanist(shoot, this.#deps);
    this.#shootsByNamespace.set(botanist.namespace, {
      namespace: shoot.metadata.namespace ?? '',
      name: shoot.metadata.name ?? '',
    });
    const status = isRecord(shoot.status) ? shoot.status : {};
    const last = isRecord(status.lastOperation) ? (status.lastOperation as unknown as LastOperation) : undefined;
    // A control plane whose etcd broke (e.g. a restore that cannot finish) is reconciled again,
    // so the failing step and its error show in the shoot's lastErrors.
    const upToDate =
      status.observedGeneration === shoot.metadata.generation &&
      last?.state === 'Succeeded' &&
      this.#deps.apiServers.has(botanist.namespace) &&
      (await botanist.etcdHealthy());
    if (upToDate) return { requeueAfterMs: resyncMs };
    if (!(shoot.metadata.finalizers ?? []).includes(shootFinalizer)) {
      await this.#shoots().patch(shoot.metadata.namespace!, shoot.metadata.name!, {
        metadata: {
          finalizers: [...(shoot.metadata.finalizers ?? []), shootFinalizer],
          resourceVersion: shoot.metadata.resourceVersion,
        },
      });
    }
    const createDone = last !== undefined && (last.type !== 'Create' || last.state === 'Succeeded');
    const type: OperationType = createDone ? 'Reconcile' : 'Create';
    const seed = await this.#deps.garden.resource(seedResource).get('', this.#deps.seedName);
    await this.#run(shoot, type, reconcileFlow(botanist, type, { allowBackup: seedHasBackup(seed) }), {
      advertisedAddresses: [{ name: 'external', url: botanist.apiUrl }],
      technicalID: botanist.namespace,
      uid: shoot.metadata.uid,
    });
    await this.#patchStatus(shoot, {
      seedName: this.#deps.seedName,
      observedGeneration: shoot.metadata.generation,
    });
    return { requeueAfterMs: resyncMs };
  }

  async #delete(shoot: KubeObject): Promise<Result> {
    if (!(shoot.metadata.finalizers ?? []).includes(shootFinalizer)) return {};
    await this.#run(shoot, 'Delete', deleteFlow(new Botanist(shoot, this.#deps)), {});
    const current = await this.#get({ namespace: shoot.metadata.namespace!, name: shoot.metadata.name! });
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

  /** Runs a flow with lastOperation kept current; on failure records lastErrors and rethrows (retry with backoff). */
  async #run(shoot: KubeObject, type: OperationType, flow: Flow, startStatus: Record<string, unknown>): Promise<void> {
    const status = isRecord(shoot.status) ? shoot.status : {};
    const previousErrors = (Array.isArray(status.lastErrors) ? status.lastErrors : []) as LastError[];
    await this.#patchStatus(shoot, {
      ...startStatus,
      lastOperation: operation(type, 'Processing', 0, `${flow.name} initialized.`),
    });
    const log = this.#deps.logger.child({
      shoot: `${shoot.metadata.namespace}/${shoot.metadata.name}`,
      operation: type,
    });
    try {
      const result = await flow.run({
        progressReporter: (p) =>
          this.#patchStatus(shoot, {
            lastOperation: operation(type, 'Processing', Math.min(p.progress, 99), describeProgress(p)),
          }),
        log: (msg, fields) => log.debug(fields, msg),
      });
      await this.#patchStatus(shoot, {
        lastOperation: operation(type, 'Succeeded', 100, successMessage(type)),
        lastErrors: lastErrorsAfter(previousErrors, result),
      });
    } catch (err) {
      const errors = lastErrorsAfter(previousErrors, err as Parameters<typeof lastErrorsAfter>[1]);
      const described = flowErrors(err)
        .map((e) => `${e.taskID}: ${e.error.message}`)
        .join('; ');
      log.warn({ errors: described || (err as Error).message }, 'flow failed');
      await this.#patchStatus(shoot, {
        lastOperation: operation(
          type,
          'Error',
          lastProgress(shoot),
          `${flow.name} failed: ${described || (err as Error).message}`,
        ),
        lastErrors: errors,
      }).catch(() => undefined);
      throw err;
    }
  }

  async #patchStatus(shoot: KubeObject, status: Record<string, unknown>): Promise<void> {
    await this.#shoots().patch(shoot.metadata.namespace!, shoot.metadata.name!, { status }, 'merge', 'status');
  }

  async #get(key: ObjectKey): Promise<KubeObject | undefined> {
    try {
      return await this.#shoots().get(key.namespace, key.name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  #shoots() {
    return this.#deps.garden.resource(shootResource);
  }
}

function operation(type: OperationType, state: string, progress: number, description: string) {
  return { type, state, progress, description, lastUpdateTime: nowTimestamp() };
}

function lastProgress(shoot: KubeObject): number {
  const status = isRecord(shoot.status) ? shoot.status : {};
  return isRecord(status.lastOperation) && typeof status.lastOperation.progress === 'number'
    ? status.lastOperation.progress
    : 0;
}

function successMessage(type: OperationType): string {
  switch (type) {
    case 'Create':
      return 'Shoot cluster has been successfully created.';
    case 'Reconcile':
      return 'Shoot cluster has been successfully reconciled.';
    case 'Delete':
      return 'Shoot cluster has been successfully deleted.';
  }
}
