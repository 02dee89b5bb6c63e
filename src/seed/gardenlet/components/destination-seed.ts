/**
 * The seed a shoot moves to, as the source's Migrate sees it: only through the shoot's
 * `ReadyForMigration` constraint, which the garden keeps (src/garden/controllers/
 * shoot-migration-controller.ts). A gardenlet may not read other seeds, and as in Gardener the
 * garden is the one to judge them.
 */
import { getCondition } from '../../../api/core-gardener/conditions.js';
import { READY_FOR_MIGRATION } from '../../../api/core-gardener/migration-readiness.js';
import { shootResource } from '../../../api/core-gardener/shoot.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import type { ComponentContext } from './context.js';
import { NotYetError, waitUntil } from './wait.js';

export class DestinationSeed {
  readonly #c: ComponentContext;

  constructor(c: ComponentContext) {
    this.#c = c;
  }

  /**
   * "Waiting until the destination seed is ready": until the constraint is True. Only reads, so
   * a step that times out (the error says what the garden found) and runs again changes nothing.
   */
  async waitReady(ctx: TaskContext): Promise<void> {
    const { namespace, name } = this.#c.shoot.metadata;
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const shoot = await this.#c.garden.resource(shootResource).get(namespace!, name!);
      const constraint = getCondition(shoot.status?.constraints ?? [], READY_FOR_MIGRATION);
      // Gardener's two messages (its gardenlet's migrateShoot).
      if (!constraint) {
        throw new NotYetError(
          `waiting for confirmation that destination Seed is available to host the control plane of Shoot ${name}`,
        );
      }
      if (constraint.status !== 'True') {
        throw new NotYetError(
          `destination Seed is not available to host the control plane of Shoot ${name}: ${constraint.message ?? constraint.reason ?? ''}`,
        );
      }
    });
  }
}
