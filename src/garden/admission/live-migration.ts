/**
 * LiveMigration: the admission of GEP-39's annotations on Shoots and of the binding that starts a
 * live control plane migration (docs/live-migration.md, "Asking for it").
 *
 * Validating (on a frozen copy, nothing stored when it refuses; 422 at the field):
 * - `migration.gardener.cloud/live-migrate` is "true" or "false"; it cannot change while the shoot
 *   is being moved (spec.seedName ≠ status.seedName), a move being live or classic from its
 *   binding to its end.
 * - `migration.gardener.cloud/abort-live-migration` is "true", set only while a live migration
 *   runs and only before its point of no return (the record in the ShootState, `abortable`).
 *   Taking it away is always allowed (the garden does once the abort is over).
 * - The binding that moves a shoot asking for live migration: both seeds must have reported
 *   reaching each other's etcd peer endpoint over TLS (etcd's peer traffic goes both ways),
 *   checked before anything changes; else 422 at `spec.seedName` with the reason.
 *
 * Mutating (the binding only): with `migration.transplant.gardener.cloud/fallback-to-classic:
 * "true"` a live migration that the peer check refuses becomes a classic one in the same write:
 * `live-migrate` is set to "false" (the gardenlets read nothing else) and the reason is kept in
 * `migration.transplant.gardener.cloud/classic-fallback-reason`, which the shoot-migration
 * controller turns into an Event.
 *
 * An annotation the request leaves as it was stored is not judged again, so a shoot whose
 * migration moved on (or ended) can always be updated otherwise.
 */
import {
  etcdPeerReachabilityProblem,
  type Seed,
  type Shoot,
  type ShootState,
  shootResource,
  shootSpecSeedName,
  shootStatusSeedName,
} from '../../api/core-gardener/index.js';
import {
  ABORT_LIVE_MIGRATION_ANNOTATION,
  abortable,
  LIVE_MIGRATE_ANNOTATION,
  LIVE_MIGRATE_FALLBACK_ANNOTATION,
  LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION,
  type LiveMigrationRecord,
  liveMigrationRecord,
  wantsLiveMigration,
} from '../../api/core-gardener/live-migration.js';
import { FieldError, invalid } from '../../api/errors.js';
import { storedAs } from '../../apiserver/stored-object.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../../apiserver/types.js';

export interface LiveMigrationLookups {
  getSeed(name: string): Promise<Seed | null>;
  getShootState(namespace: string, name: string): Promise<ShootState | null>;
}

const SHOOT_KIND = { group: 'core.gardener.cloud', kind: 'Shoot' } as const;

/** `metadata.annotations[<key>]`, as Kubernetes' field paths name an annotation. */
export function annotationPath(key: string): string {
  return `metadata.annotations[${key}]`;
}

export class LiveMigrationAdmission implements AdmissionPlugin {
  readonly name = 'LiveMigration';
  readonly #lookups: LiveMigrationLookups;

  constructor(lookups: LiveMigrationLookups) {
    this.#lookups = lookups;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE';
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (!isShootWrite(attrs) || attrs.subresource !== 'binding' || !attrs.oldObject) return;
    const shoot = attrs.object as Shoot;
    const annotations = shoot.metadata.annotations ?? {};
    const move = liveMoveOf(shoot, storedAs(shootResource, attrs.oldObject));
    const problem =
      move && annotations[LIVE_MIGRATE_FALLBACK_ANNOTATION] === 'true' ? await this.#peerProblem(move) : undefined;
    if (problem) {
      shoot.metadata.annotations = {
        ...annotations,
        [LIVE_MIGRATE_ANNOTATION]: 'false',
        [LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION]: problem,
      };
    } else if (LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION in annotations) {
      // A reason from an earlier move would describe this one wrongly.
      delete shoot.metadata.annotations![LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION];
    }
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (!isShootWrite(attrs)) return;
    const shoot = storedAs(shootResource, attrs.object);
    const old = attrs.oldObject && storedAs(shootResource, attrs.oldObject);
    const name = shoot.metadata.name ?? attrs.name;
    const errors = [...annotationValueErrors(shoot, old), ...this.#liveMigrateChangeErrors(shoot, old)];
    if (errors.length === 0) errors.push(...(await this.#abortErrors(shoot, old)));
    if (errors.length === 0 && attrs.subresource === 'binding' && old)
      errors.push(...(await this.#bindingErrors(shoot, old)));
    if (errors.length > 0) throw invalid(SHOOT_KIND, name, errors);
  }

  #liveMigrateChangeErrors(shoot: Shoot, old: Shoot | undefined): FieldError[] {
    if (!old || !changed(shoot, old, LIVE_MIGRATE_ANNOTATION) || !beingMoved(old)) return [];
    return [
      FieldError.forbidden(
        annotationPath(LIVE_MIGRATE_ANNOTATION),
        `cannot be changed while the shoot is being moved from seed "${shootStatusSeedName(old) ?? ''}" to seed "${shootSpecSeedName(old)}"`,
      ),
    ];
  }

  async #abortErrors(shoot: Shoot, old: Shoot | undefined): Promise<FieldError[]> {
    const value = shoot.metadata.annotations?.[ABORT_LIVE_MIGRATION_ANNOTATION];
    if (value === undefined || (old && !changed(shoot, old, ABORT_LIVE_MIGRATION_ANNOTATION))) return [];
    const path = annotationPath(ABORT_LIVE_MIGRATION_ANNOTATION);
    if (!old || !liveMigrationRuns(old)) {
      return [
        FieldError.invalid(
          path,
          value,
          `no live migration runs: the abort is honoured only while the shoot is being moved (spec.seedName differs from status.seedName) with ${LIVE_MIGRATE_ANNOTATION}: "true"`,
        ),
      ];
    }
    const record = await this.#recordOfThisMove(old);
    if (record && !abortable(record)) {
      const why =
        record.phase === 'Aborted'
          ? `the live migration was aborted already (phase ${record.phase})`
          : `past the point of no return (phase ${record.phase}): migrate the shoot back instead`;
      return [FieldError.invalid(path, value, why)];
    }
    return [];
  }

  async #bindingErrors(shoot: Shoot, old: Shoot): Promise<FieldError[]> {
    const move = liveMoveOf(shoot, old);
    if (!move) return [];
    const problem = await this.#peerProblem(move);
    if (!problem) return [];
    return [
      FieldError.invalid(
        'spec.seedName',
        move.destination,
        `live migration from seed "${move.source}" is impossible: ${problem} (annotate the shoot ${LIVE_MIGRATE_FALLBACK_ANNOTATION}=true to migrate it the classic way instead)`,
      ),
    ];
  }

  /** Why the two seeds of `move` are not known to reach each other's etcd peers; undefined if they are. */
  async #peerProblem(move: LiveMove): Promise<string | undefined> {
    const [source, destination] = await Promise.all([
      this.#lookups.getSeed(move.source),
      this.#lookups.getSeed(move.destination),
    ]);
    // A seed that does not exist is the ShootValidator's to refuse, in its words.
    if (!source || !destination) return undefined;
    return etcdPeerReachabilityProblem(destination, source) ?? etcdPeerReachabilityProblem(source, destination);
  }

  /** The ShootState's record when it is about the move `shoot` is in now (not an earlier one). */
  async #recordOfThisMove(shoot: Shoot): Promise<LiveMigrationRecord | undefined> {
    const state = await this.#lookups.getShootState(shoot.metadata.namespace ?? '', shoot.metadata.name ?? '');
    const record = liveMigrationRecord(state ?? undefined);
    return record && record.destinationSeed === shootSpecSeedName(shoot) ? record : undefined;
  }
}

interface LiveMove {
  source: string;
  destination: string;
}

function isShootWrite(attrs: AdmissionAttributes): boolean {
  return attrs.resource === 'shoots' && (attrs.subresource === '' || attrs.subresource === 'binding');
}

/** The move a binding starts when the shoot asks for it to be live: from where it runs to another seed. */
function liveMoveOf(shoot: Shoot, old: Shoot): LiveMove | undefined {
  const source = shootStatusSeedName(old);
  const destination = shootSpecSeedName(shoot);
  if (!source || !destination || destination === source || destination === shootSpecSeedName(old)) return undefined;
  return wantsLiveMigration(shoot.metadata.annotations) ? { source, destination } : undefined;
}

/** Bound to another seed than the one it ran on, from the binding until the move is over. */
function beingMoved(shoot: Shoot): boolean {
  const spec = shootSpecSeedName(shoot);
  return !!spec && shoot.status?.lastOperation !== undefined && spec !== shootStatusSeedName(shoot);
}

function liveMigrationRuns(shoot: Shoot): boolean {
  return beingMoved(shoot) && wantsLiveMigration(shoot.metadata.annotations);
}

function changed(shoot: Shoot, old: Shoot, key: string): boolean {
  return shoot.metadata.annotations?.[key] !== old.metadata.annotations?.[key];
}

const ANNOTATION_VALUES: readonly [key: string, values: readonly string[]][] = [
  [LIVE_MIGRATE_ANNOTATION, ['true', 'false']],
  [ABORT_LIVE_MIGRATION_ANNOTATION, ['true']],
  [LIVE_MIGRATE_FALLBACK_ANNOTATION, ['true', 'false']],
];

/** Values outside each annotation's set, judged where the request sets or changes them. */
function annotationValueErrors(shoot: Shoot, old: Shoot | undefined): FieldError[] {
  const annotations = shoot.metadata.annotations ?? {};
  return ANNOTATION_VALUES.flatMap(([key, values]) => {
    const value = annotations[key];
    if (value === undefined || values.includes(value) || (old && !changed(shoot, old, key))) return [];
    return [FieldError.notSupported(annotationPath(key), value, values)];
  });
}
