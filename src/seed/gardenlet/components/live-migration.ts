/**
 * The record of a live migration (docs/live-migration.md "The record both seeds keep"): one entry
 * of the shoot's ShootState in the garden, which the source and the destination gardenlets both
 * read and write while the control plane moves. Every write carries the ShootState's
 * resourceVersion (a conflict reads again and retries), and every phase is written before the
 * seed acts on it, so a restarted gardenlet resumes where the record says.
 */

import {
  ABORT_LIVE_MIGRATION_ANNOTATION,
  abortable,
  type LiveMigrationPhase,
  type LiveMigrationRecord,
  liveMigrationRecord,
  POINT_OF_NO_RETURN,
  phaseReached,
  withLiveMigrationRecord,
} from '../../../api/core-gardener/live-migration.js';
import { shootResource, shootSpecSeedName, shootStatusSeedName } from '../../../api/core-gardener/shoot.js';
import { type ShootState, shootStateResource } from '../../../api/core-gardener/shoot-state.js';
import { isConflict } from '../../../api/errors.js';
import { nowTimestamp } from '../../../api/meta.js';
import { RetryTimeoutError, terminal } from '../../../flow/task-errors.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import type { ComponentContext } from './context.js';
import { NotYetError, waitUntil } from './wait.js';

/** A change of the record: the next record, or undefined to remove it; `current` as the garden has it now. */
export type RecordChange = (current: LiveMigrationRecord | undefined) => LiveMigrationRecord | undefined;

/** How often a write that met a concurrent one (the other seed's) reads again before it gives up. */
const conflictRetries = 10;

/** Thrown by a wait of either seed once the migration is being aborted: waiting cannot help any more. */
export class LiveMigrationAbortedError extends Error {
  constructor(record: LiveMigrationRecord) {
    super(
      `the live migration from seed ${record.sourceSeed} to seed ${record.destinationSeed} is ${record.phase === 'Aborted' ? 'aborted' : 'being aborted'}${record.message ? `: ${record.message}` : ''}`,
    );
    this.name = 'LiveMigrationAbortedError';
  }
}

export class LiveMigrationProgress {
  readonly #c: ComponentContext;

  constructor(c: ComponentContext) {
    this.#c = c;
  }

  /** The seed the shoot moves away from and the one it moves to, as the garden binds it now. */
  get seeds(): { source: string; destination: string } {
    const shoot = this.#c.shoot;
    const role = this.#c.seedName === shootSpecSeedName(shoot) ? 'destination' : 'source';
    const other = role === 'source' ? shootSpecSeedName(shoot) : shootStatusSeedName(shoot);
    return role === 'source'
      ? { source: this.#c.seedName, destination: other ?? '' }
      : { source: other ?? '', destination: this.#c.seedName };
  }

  /** The record of this migration (between these two seeds), or undefined. */
  async get(): Promise<LiveMigrationRecord | undefined> {
    return this.#ofThisMigration(liveMigrationRecord((await this.#state()) ?? undefined));
  }

  /**
   * Writes the record `change` makes of the current one, with the ShootState's resourceVersion;
   * a conflict (the other seed wrote in between) reads again and applies `change` to what it
   * finds. Returns the record written (or kept: a change that returns the same object writes nothing).
   */
  async update(change: RecordChange): Promise<LiveMigrationRecord | undefined> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.#state();
      if (!state)
        throw new Error(`the ShootState of ${this.#shootName()} does not exist: the source persists it first`);
      const current = this.#ofThisMigration(liveMigrationRecord(state));
      const next = change(current);
      if (next === current) return current;
      try {
        await this.#shootStates().patch(state.metadata.namespace!, state.metadata.name!, {
          metadata: { resourceVersion: state.metadata.resourceVersion },
          spec: { gardener: withLiveMigrationRecord(state, next) },
        });
        return next;
      } catch (err) {
        if (!isConflict(err) || attempt >= conflictRetries) throw err;
      }
    }
  }

  /**
   * Moves the record on to `phase` (with `fields`), unless it is there or further already: a
   * re-run after a crash writes nothing. An aborted migration does not move on.
   */
  async advance(phase: LiveMigrationPhase, fields: Partial<LiveMigrationRecord> = {}): Promise<LiveMigrationRecord> {
    // The last look for an abort before the point of no return: a flow under way when the
    // annotation came stops here, and the next reconcile runs the abort.
    if (phase === POINT_OF_NO_RETURN && (await this.#abortRequested())) {
      const current = await this.get();
      if (current && !phaseReached(current.phase, phase)) {
        throw terminal(new Error(`${ABORT_LIVE_MIGRATION_ANNOTATION} is set: not switching the endpoint`));
      }
    }
    const record = await this.update((current) => {
      if (!current) throw terminal(new Error(`no live migration of ${this.#shootName()} is recorded`));
      if (current.phase === 'Aborting' || current.phase === 'Aborted')
        throw terminal(new LiveMigrationAbortedError(current));
      if (phaseReached(current.phase, phase)) return current;
      return { ...current, ...fields, phase, phaseTime: nowTimestamp() };
    });
    return record!;
  }

  /**
   * Until the record reached `phase` (written by the other seed). An abort ends the wait with
   * `LiveMigrationAbortedError`, and so does a record that is gone. The wait gives up only after
   * `waitTimeoutMs` in which the record did not change: the other seed's part is many steps (a
   * restart of that seed and 3 members joining one at a time among them), each bounded by its
   * own timeout, and its progress (`destination.step`, a phase) shows in the record. A fixed
   * deadline over all of them failed the source's Migrate while the destination was still
   * progressing after a restart.
   */
  async waitFor(ctx: TaskContext, phase: LiveMigrationPhase): Promise<LiveMigrationRecord> {
    let record: LiveMigrationRecord | undefined;
    let seen = JSON.stringify(await this.get());
    for (;;) {
      try {
        await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
          record = await this.get();
          if (!record) throw terminal(new Error(`the live migration record of ${this.#shootName()} is gone`));
          if (record.phase === 'Aborting' || record.phase === 'Aborted')
            throw terminal(new LiveMigrationAbortedError(record));
          if (!phaseReached(record.phase, phase)) {
            throw new NotYetError(`the live migration is at ${record.phase}, waiting for ${phase}`);
          }
        });
        return record!;
      } catch (err) {
        const now = JSON.stringify(record);
        if (!(err instanceof RetryTimeoutError) || now === seen) throw err;
        seen = now;
      }
    }
  }

  /** Source: "Waiting until the destination seed switches the endpoint" (`SwitchingEndpoint`). */
  async waitSwitchingEndpoint(ctx: TaskContext): Promise<void> {
    await this.waitFor(ctx, 'SwitchingEndpoint');
  }

  /** Source: "Waiting until etcd leadership has moved to the destination seed". */
  async waitLeaderMoved(ctx: TaskContext): Promise<void> {
    await this.waitFor(ctx, 'LeaderMoved');
  }

  /** Destination: "Waiting until the source seed has released the control plane". */
  async waitSourceReleased(ctx: TaskContext): Promise<void> {
    await this.waitFor(ctx, 'SourceReleased');
  }

  /** Source: "Waiting until the etcd members of this seed have been removed". */
  async waitSourceMembersRemoved(ctx: TaskContext): Promise<void> {
    await this.waitFor(ctx, 'SourceMembersRemoved');
  }

  /** Destination: "Completing the live migration". */
  async complete(_ctx: TaskContext): Promise<void> {
    await this.advance('Completed');
  }

  /**
   * Abort, destination: "Aborting the live migration": `Aborting`, only before the point of no
   * return (after it the way back is a live migration back). Without a record (the source has not
   * published its members yet) one is written at `Aborting`, so that the source does not start.
   */
  async startAbort(_ctx: TaskContext): Promise<void> {
    const { source, destination } = this.seeds;
    await this.update((current) => {
      if (current?.phase === 'Aborting' || current?.phase === 'Aborted') return current;
      if (current && !abortable(current)) {
        throw terminal(
          new Error(`the live migration is at ${current.phase}, past the point of no return: migrate back instead`),
        );
      }
      return {
        ...(current ?? { sourceSeed: source, destinationSeed: destination, source: { etcd: {} } }),
        phase: 'Aborting',
        phaseTime: nowTimestamp(),
        message: 'aborted by migration.gardener.cloud/abort-live-migration',
      };
    });
  }

  /** Abort, destination: "Recording the live migration aborted": `Aborted`, the garden's cue to bind the shoot to the source again. */
  async aborted(_ctx: TaskContext): Promise<void> {
    await this.update((current) =>
      current && current.phase !== 'Aborted' ? { ...current, phase: 'Aborted', phaseTime: nowTimestamp() } : current,
    );
  }

  /** The record exists and is at `phase` or further (abort phases excluded). */
  async reached(phase: LiveMigrationPhase): Promise<boolean> {
    const record = await this.get();
    return record !== undefined && phaseReached(record.phase, phase);
  }

  /** The destination's progress for operators (`destination.step`, `destination.progress`); written only when it changed. */
  async report(step: string, progress: number): Promise<void> {
    await this.update((current) => {
      if (!current || (current.destination?.step === step && current.destination?.progress === progress))
        return current;
      return { ...current, destination: { ...current.destination, step, progress } };
    });
  }

  /**
   * The source, once the garden bound the shoot to it again after an abort: the record of the
   * aborted migration from this seed goes (read without `seeds`: the shoot is not being moved).
   */
  async clearAborted(): Promise<void> {
    const state = await this.#state();
    const record = liveMigrationRecord(state ?? undefined);
    if (!state || record?.phase !== 'Aborted' || record.sourceSeed !== this.#c.seedName) return;
    await this.#shootStates().patch(state.metadata.namespace!, state.metadata.name!, {
      metadata: { resourceVersion: state.metadata.resourceVersion },
      spec: { gardener: withLiveMigrationRecord(state, undefined) },
    });
  }

  /**
   * A record of another pair of seeds (an earlier migration) is not this migration's. Once the
   * source's Migrate succeeded `status.seedName` is null: then the destination alone identifies it.
   */
  #ofThisMigration(record: LiveMigrationRecord | undefined): LiveMigrationRecord | undefined {
    const { source, destination } = this.seeds;
    const ours = record?.destinationSeed === destination && (source === '' || record.sourceSeed === source);
    return ours ? record : undefined;
  }

  async #abortRequested(): Promise<boolean> {
    const { namespace, name } = this.#c.shoot.metadata;
    const shoot = await this.#c.garden.resource(shootResource).find(namespace!, name!);
    return shoot?.metadata.annotations?.[ABORT_LIVE_MIGRATION_ANNOTATION] === 'true';
  }

  #state(): Promise<ShootState | null> {
    const { namespace, name } = this.#c.shoot.metadata;
    return this.#shootStates().find(namespace!, name!);
  }

  #shootName(): string {
    return `shoot ${this.#c.shoot.metadata.namespace}/${this.#c.shoot.metadata.name}`;
  }

  #shootStates() {
    return this.#c.garden.resource(shootStateResource);
  }
}
