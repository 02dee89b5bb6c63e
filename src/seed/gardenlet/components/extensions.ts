/**
 * All of the shoot's extension resources at once, for the Migrate flow's steps that treat them
 * together (Gardener's `MigrateAllExtensionResources` & co.): migrate every one, wait until every
 * one is migrated, delete every one and wait until every one is gone.
 */
import type { TaskContext } from '../../../flow/task-fn.js';
import type { ComponentContext } from './context.js';
import type { Extension } from './extension.js';
import { NotYetError, waitUntil } from './wait.js';

export class AllExtensions {
  readonly #c: ComponentContext;
  readonly #extensions: readonly Extension[];

  constructor(c: ComponentContext, extensions: readonly Extension[]) {
    this.#c = c;
    this.#extensions = extensions;
  }

  /** "Migrating extension resources". */
  async migrate(ctx: TaskContext): Promise<void> {
    await Promise.all(this.#extensions.map((e) => e.migrate(ctx)));
  }

  /** "Waiting until extension resources have been migrated": names the ones still pending when the time is up. */
  async waitMigrate(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const migrated = await Promise.all(this.#extensions.map((e) => e.isMigrated()));
      const pending = this.#extensions.filter((_, i) => !migrated[i]).map((e) => e.description);
      if (pending.length > 0) throw new NotYetError(`extension resources not migrated yet: ${pending.join(', ')}`);
    });
  }

  /** "Deleting extension resources from the Shoot namespace": migrated ones have no finalizer and go at once. */
  async destroy(ctx: TaskContext): Promise<void> {
    await Promise.all(this.#extensions.map((e) => e.destroy(ctx)));
  }

  /** "Waiting until extension resources have been deleted". */
  async waitCleanup(ctx: TaskContext): Promise<void> {
    await Promise.all(this.#extensions.map((e) => e.waitCleanup(ctx)));
  }
}
