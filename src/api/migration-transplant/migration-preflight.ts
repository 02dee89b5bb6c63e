/**
 * MigrationPreflight (migration.transplant.gardener.cloud/v1alpha1, namespaced in the shoot's
 * project namespace): one question "would moving shoot S to seed T work now?", asked before the
 * binding (docs/operations.md, "Before a move: the preflight"). `transplant migrate` and the
 * dashboard create one; each check is answered where the traffic it is about will really
 * originate:
 *
 * - the garden's controller: the shoot can be moved, the target is ready and has room, both seeds
 *   have backups, the target runs the shoot's extensions, the requester may bind, and whether the
 *   move can be live;
 * - the target seed's gardenlet: it reaches the source seed's backup store (the Restore copies
 *   the backups from there);
 * - the source seed's gardenlet, through the shoot's node agents: every machine reaches the target
 *   seed (after the move the machines talk to the control plane there).
 *
 * Like a CertificateSigningRequest it records who asked (`spec.username`, `spec.groups`, set by
 * the garden from the request, never by the client), so "may this user bind" is answered for the
 * requester, not for the controller. Nothing in it changes the shoot; the garden deletes it an
 * hour after it completed.
 */
import { FieldError } from '../errors.js';
import { aBoolean, aNumber, aString, listOf, oneOf, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { typedKind } from '../resource-ref.js';
import { immutableOnceSet, validateObjectMetaName } from '../validation.js';

export const MIGRATION_TRANSPLANT_GROUP = 'migration.transplant.gardener.cloud';
export const MIGRATION_TRANSPLANT_VERSION = 'v1alpha1';

/** Every check a preflight holds, by name; each is answered by one party (`PreflightCheck.origin`). */
export const PreflightCheckName = Object.freeze({
  /** The shoot exists, is not being deleted or moved, and is not on the target already. */
  ShootMovable: 'ShootMovable',
  /** The target seed exists, is not being deleted, and is ready (its gardenlet reports). */
  TargetSeedReady: 'TargetSeedReady',
  /** The target seed takes one more shoot (`status.allocatable.shoots`). */
  TargetSeedHasRoom: 'TargetSeedHasRoom',
  /** Both seeds have a backup configuration: the move goes through the backups. */
  BackupsConfigured: 'BackupsConfigured',
  /** The target seed runs every extension the shoot needs. */
  ExtensionsAvailable: 'ExtensionsAvailable',
  /** The requester may update `shoots/binding` of the shoot. */
  RequesterMayBind: 'RequesterMayBind',
  /** A shoot asking for a live move: both seeds reach each other's etcd peers; else the move is classic. */
  LiveMigrationPossible: 'LiveMigrationPossible',
  /** The target seed's gardenlet reaches the source seed's backup store (a probe it performs). */
  TargetSeedReachesSourceBackupStore: 'TargetSeedReachesSourceBackupStore',
  /** Every machine of the shoot reaches the target seed (probes its node agents perform). */
  MachinesReachTargetSeed: 'MachinesReachTargetSeed',
} as const);
export type PreflightCheckName = (typeof PreflightCheckName)[keyof typeof PreflightCheckName];

/** The garden's checks, answered at once from what the garden stores. */
export const GARDEN_PREFLIGHT_CHECKS: readonly PreflightCheckName[] = Object.freeze([
  PreflightCheckName.ShootMovable,
  PreflightCheckName.TargetSeedReady,
  PreflightCheckName.TargetSeedHasRoom,
  PreflightCheckName.BackupsConfigured,
  PreflightCheckName.ExtensionsAvailable,
  PreflightCheckName.RequesterMayBind,
  PreflightCheckName.LiveMigrationPossible,
]);

/** Passed and Failed are answers; Pending waits for its party's probe. */
export const PREFLIGHT_CHECK_STATUSES = Object.freeze(['Passed', 'Failed', 'Pending'] as const);
export type PreflightCheckStatus = (typeof PREFLIGHT_CHECK_STATUSES)[number];

/** Pending until every check has an answer (or the deadline passed); then whether all passed. */
export const PREFLIGHT_PHASES = Object.freeze(['Pending', 'Succeeded', 'Failed'] as const);
export type PreflightPhase = (typeof PREFLIGHT_PHASES)[number];

export interface PreflightCheck {
  name: PreflightCheckName | string;
  status: PreflightCheckStatus;
  /** Who answered: `garden`, `seed/<name>` (its gardenlet), `node/<name>` (a machine's agent). */
  origin: string;
  /** What was found, naming what failed (the store, the node, the missing extension). */
  message: string;
  lastUpdateTime?: string;
}

/** How the move would go, for `--dry-run` and the dashboard. */
export interface MigrationPlan {
  mode: 'classic' | 'live';
  /** The flow steps the source seed runs (Migrate, or the live source flow), in order. */
  sourceSteps?: string[];
  /** The flow steps the target seed runs (Restore, or the live destination flow), in order. */
  targetSteps?: string[];
  /** The shoot's etcd data as its last full snapshot measured it, when the source reported one. */
  dataBytes?: number;
  /** The API downtime expected from `dataBytes` at the measured rate (classic moves only). */
  expectedDowntimeSeconds?: number;
}

export interface MigrationPreflightSpec {
  shootName: string;
  /** The seed the shoot would move to. */
  seedName: string;
  /** Who asked (set by the garden from the request, as a CertificateSigningRequest's). */
  username?: string;
  uid?: string;
  groups?: string[];
}

export interface MigrationPreflightStatus {
  phase?: PreflightPhase;
  /** The seed the shoot runs on now, where the Migrate would start. */
  sourceSeedName?: string;
  /** Where the source seed keeps its backups, for the target seed's probe (no credentials). */
  sourceBackupStore?: { provider: string; endpoint?: string };
  checks?: PreflightCheck[];
  plan?: MigrationPlan;
  /** When every check had an answer (or the deadline passed). */
  completionTime?: string;
}

export interface MigrationPreflight extends KubeObject {
  spec: MigrationPreflightSpec;
  status?: MigrationPreflightStatus;
}

const aCheck = shape<PreflightCheck>({
  name: aString,
  status: oneOf(PREFLIGHT_CHECK_STATUSES),
  origin: aString,
  message: aString,
  lastUpdateTime: optional(aString),
});

export const { is: isMigrationPreflight, resource: migrationPreflightResource } = typedKind<MigrationPreflight>(
  {
    group: MIGRATION_TRANSPLANT_GROUP,
    version: MIGRATION_TRANSPLANT_VERSION,
    kind: 'MigrationPreflight',
    plural: 'migrationpreflights',
    namespaced: true,
  },
  {
    spec: shape<MigrationPreflightSpec>({
      shootName: aString,
      seedName: aString,
      username: optional(aString),
      uid: optional(aString),
      groups: optional(listOf(aString)),
    }),
    status: optional(
      shape<MigrationPreflightStatus>({
        phase: optional(oneOf(PREFLIGHT_PHASES)),
        sourceSeedName: optional(aString),
        sourceBackupStore: optional(shape({ provider: aString, endpoint: optional(aString) })),
        checks: optional(listOf(aCheck)),
        plan: optional(
          shape<MigrationPlan>({
            mode: oneOf(['classic', 'live']),
            sourceSteps: optional(listOf(aString)),
            targetSteps: optional(listOf(aString)),
            dataBytes: optional(aNumber),
            expectedDowntimeSeconds: optional(aNumber),
          }),
        ),
        completionTime: optional(aString),
      }),
    ),
  },
);

/** The spec's fields: a shoot name and a seed name, both required. */
export function validateMigrationPreflightSpec(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  for (const field of ['shootName', 'seedName'] as const) {
    const value = spec[field];
    if (value === undefined || value === null || value === '') {
      errs.push(FieldError.required(`spec.${field}`));
    } else if (typeof value !== 'string') {
      errs.push(FieldError.invalid(`spec.${field}`, value, 'must be a string'));
    } else {
      errs.push(...validateObjectMetaName(value, field === 'shootName' ? 'label' : 'subdomain', `spec.${field}`));
    }
  }
  return errs;
}

/** A preflight is one question: its spec never changes. */
export function validateMigrationPreflightUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = (o: KubeObject) => (isRecord(o.spec) ? o.spec : {});
  const errs = validateMigrationPreflightSpec(obj.spec);
  for (const field of ['shootName', 'seedName', 'username', 'uid'] as const) {
    errs.push(...immutableOnceSet(spec(obj)[field], spec(old)[field], `spec.${field}`));
  }
  if (JSON.stringify(spec(obj).groups ?? null) !== JSON.stringify(spec(old).groups ?? null)) {
    errs.push(FieldError.immutable('spec.groups', spec(obj).groups));
  }
  return errs;
}

/** The check named `name`, if answered or pending. */
export function preflightCheck(preflight: MigrationPreflight, name: string): PreflightCheck | undefined {
  return preflight.status?.checks?.find((c) => c.name === name);
}

/**
 * `checks` with `check` in its place (added at the end when new); the same array when nothing
 * but the time would change, so a party that finds the same again does not write.
 */
export function withPreflightCheck(checks: readonly PreflightCheck[], check: PreflightCheck): PreflightCheck[] {
  const index = checks.findIndex((c) => c.name === check.name);
  const existing = index < 0 ? undefined : checks[index];
  if (
    existing &&
    existing.status === check.status &&
    existing.message === check.message &&
    existing.origin === check.origin
  ) {
    return checks as PreflightCheck[];
  }
  const next = [...checks];
  if (index < 0) next.push(check);
  else next[index] = check;
  return next;
}

/** Succeeded when every check passed, Failed when one failed and none is pending, else Pending. */
export function preflightPhase(checks: readonly PreflightCheck[]): PreflightPhase {
  if (checks.length === 0 || checks.some((c) => c.status === 'Pending')) return 'Pending';
  return checks.every((c) => c.status === 'Passed') ? 'Succeeded' : 'Failed';
}

/** Whether the party `origin` still has to answer check `name` of this preflight. */
export function awaitsAnswer(preflight: MigrationPreflight, name: PreflightCheckName): boolean {
  return preflight.status?.phase === 'Pending' && preflightCheck(preflight, name)?.status === 'Pending';
}

/** `seed/<name>`: the origin of a gardenlet's answers. */
export function seedOrigin(seed: string): string {
  return `seed/${seed}`;
}

/**
 * The source seed asks a machine's node agent to probe the target seed by annotating the machine's
 * Node (the agent watches its own Node); the agent answers on the same Node. `id` is the
 * preflight's UID, so an answer to an older question is not taken for this one.
 */
export const MACHINE_PROBE_REQUEST_ANNOTATION = 'migration.transplant.gardener.cloud/probe-request';
export const MACHINE_PROBE_RESULT_ANNOTATION = 'migration.transplant.gardener.cloud/probe-result';

export interface MachineProbeRequest {
  id: string;
  /** The seed to reach, its probe listener (`host:port`) and the name its certificate carries. */
  seed: string;
  endpoint: string;
  commonName: string;
}

export interface MachineProbeResult {
  id: string;
  seed: string;
  endpoint: string;
  reachable: boolean;
  error?: string;
}

const aMachineProbeRequest = shape<MachineProbeRequest>({
  id: aString,
  seed: aString,
  endpoint: aString,
  commonName: aString,
});
const aMachineProbeResult = shape<MachineProbeResult>({
  id: aString,
  seed: aString,
  endpoint: aString,
  reachable: aBoolean,
  error: optional(aString),
});

/** The annotation's request or answer, undefined when absent or malformed (a malformed one is not answered). */
export function parseMachineProbeRequest(
  annotations: Record<string, string> | undefined,
): MachineProbeRequest | undefined {
  return parseJsonAs<MachineProbeRequest>(annotations?.[MACHINE_PROBE_REQUEST_ANNOTATION], aMachineProbeRequest);
}

export function parseMachineProbeResult(
  annotations: Record<string, string> | undefined,
): MachineProbeResult | undefined {
  return parseJsonAs<MachineProbeResult>(annotations?.[MACHINE_PROBE_RESULT_ANNOTATION], aMachineProbeResult);
}

function parseJsonAs<T>(
  text: string | undefined,
  check: (value: unknown, path: string) => string | undefined,
): T | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return check(value, '') === undefined ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
