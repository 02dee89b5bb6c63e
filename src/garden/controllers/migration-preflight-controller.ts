/**
 * The garden's migration preflight controller (docs/operations.md, "Before a move: the
 * preflight"): it answers a MigrationPreflight's garden checks from what the garden stores, names
 * the source seed and its backup store for the seeds' probes, marks the probes it waits for
 * Pending, and settles the phase once every check has an answer. Probes still unanswered after
 * the deadline fail, naming who did not answer. A completed preflight is frozen (the question was
 * asked at one moment) and deleted an hour later.
 */
import {
  etcdPeerReachabilityProblem,
  type Seed,
  type Shoot,
  seedBackupSecretRef,
  seedReadiness,
  shootSpecSeedName,
  shootStatusSeedName,
} from '../../api/core-gardener/index.js';
import { LIVE_MIGRATE_FALLBACK_ANNOTATION, wantsLiveMigration } from '../../api/core-gardener/live-migration.js';
import { nowTimestamp } from '../../api/meta.js';
import {
  GARDEN_PREFLIGHT_CHECKS,
  type MigrationPlan,
  type MigrationPreflight,
  type MigrationPreflightStatus,
  migrationPreflightResource,
  type PreflightCheck,
  PreflightCheckName,
  preflightPhase,
  seedOrigin,
  withPreflightCheck,
} from '../../api/migration-transplant/migration-preflight.js';
import { semanticEqual } from '../../api/validation.js';
import type { UserInfo } from '../../apiserver/types.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';

/** How long the seeds' probes may take before they count as failed. */
export const PREFLIGHT_DEADLINE_MS = 30_000;
/** How long a completed preflight is kept. */
export const PREFLIGHT_TTL_MS = 60 * 60_000;

/** What the checks read from the garden; the controller's are the garden's own objects. */
export interface PreflightFacts {
  shoot(namespace: string, name: string): Promise<Shoot | null>;
  seed(name: string): Promise<Seed | null>;
  /** How many shoots are placed on `seed` (spec.seedName). */
  shootsOn(seed: string): Promise<number>;
  /** Why `seed` lacks an extension `shoot` needs (moving from `source`); undefined when it runs them all. */
  missingExtensions(shoot: Shoot, seed: Seed, source: Seed | undefined): Promise<string | undefined>;
  /** The backup store a seed's backup Secret names: provider and endpoint, never credentials. */
  backupStore(seed: Seed): Promise<MigrationPreflightStatus['sourceBackupStore']>;
  /** Whether `user` may update shoots/binding of the shoot. */
  mayBind(user: UserInfo, namespace: string, name: string): Promise<boolean>;
}

export interface MigrationPreflightOptions {
  client: Client;
  facts: PreflightFacts;
  deadlineMs?: number;
  ttlMs?: number;
  now?: () => Date;
}

export class MigrationPreflightReconciler implements Reconciler {
  readonly #options: MigrationPreflightOptions;

  constructor(options: MigrationPreflightOptions) {
    this.#options = options;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const preflights = this.#options.client.resource(migrationPreflightResource);
    const preflight = await preflights.find(key.namespace, key.name);
    if (!preflight || preflight.metadata.deletionTimestamp) return {};
    const now = this.#options.now?.() ?? new Date();
    const ttlMs = this.#options.ttlMs ?? PREFLIGHT_TTL_MS;
    const completed = Date.parse(preflight.status?.completionTime ?? '');
    if (Number.isFinite(completed)) {
      const left = completed + ttlMs - now.getTime();
      if (left > 0) return { requeueAfterMs: left };
      await preflights.delete(key.namespace, key.name).catch(() => undefined);
      return {};
    }
    const deadlineMs = this.#options.deadlineMs ?? PREFLIGHT_DEADLINE_MS;
    const created = Date.parse(preflight.metadata.creationTimestamp ?? '') || now.getTime();
    const overdue = now.getTime() - created >= deadlineMs;
    const status = await answerPreflight(preflight, this.#options.facts, now, overdue);
    if (!semanticEqual(status, preflight.status ?? {})) {
      // At the read's resourceVersion: the seeds write their answers into the same list; a
      // conflict is retried by the controller with what they wrote.
      await preflights.update(key.namespace, { ...preflight, status }, { subresource: 'status' });
    }
    if (status.phase !== 'Pending') return { requeueAfterMs: ttlMs };
    // The seeds' answers come as status writes, which the watch delivers; the deadline comes by time.
    return { requeueAfterMs: Math.max(created + deadlineMs - now.getTime(), 100) };
  }
}

/** The preflight's next status: the garden's checks answered, the probes asked for, the phase. */
export async function answerPreflight(
  preflight: MigrationPreflight,
  facts: PreflightFacts,
  now: Date,
  overdue: boolean,
): Promise<MigrationPreflightStatus> {
  const { namespace = '' } = preflight.metadata;
  const { shootName, seedName: target } = preflight.spec;
  const time = nowTimestamp(now);
  const shoot = await facts.shoot(namespace, shootName);
  const sourceName = shoot ? (shootStatusSeedName(shoot) ?? shootSpecSeedName(shoot)) : undefined;
  const [source, targetSeed] = await Promise.all([
    sourceName ? facts.seed(sourceName) : Promise.resolve(null),
    facts.seed(target),
  ]);
  let checks: PreflightCheck[] = preflight.status?.checks ?? [];
  const answer = (name: PreflightCheckName, passed: boolean, message: string) => {
    checks = withPreflightCheck(checks, {
      name,
      status: passed ? 'Passed' : 'Failed',
      origin: 'garden',
      message,
      lastUpdateTime: time,
    });
  };
  const garden = await gardenAnswers({ preflight, shoot, source, target: targetSeed, facts, now });
  for (const name of GARDEN_PREFLIGHT_CHECKS) {
    const found = garden.get(name);
    if (found) answer(name, found.passed, found.message);
  }

  // The probes: asked of the seeds only when there is a source and a target to probe between.
  const probes: [PreflightCheckName, string | undefined][] = [
    [PreflightCheckName.TargetSeedReachesSourceBackupStore, targetSeed ? target : undefined],
    [PreflightCheckName.MachinesReachTargetSeed, source ? sourceName : undefined],
  ];
  for (const [name, seed] of probes) {
    const existing = checks.find((c) => c.name === name);
    if (existing && existing.status !== 'Pending') continue;
    if (!seed || !source || !targetSeed) {
      answer(name, false, 'not probed: the shoot or one of the seeds does not exist (see the checks above)');
    } else if (overdue) {
      checks = withPreflightCheck(checks, {
        name,
        status: 'Failed',
        origin: seedOrigin(seed),
        message: `seed "${seed}" did not answer within ${PREFLIGHT_DEADLINE_MS / 1000} s (is its gardenlet running?)`,
        lastUpdateTime: time,
      });
    } else if (!existing) {
      checks = withPreflightCheck(checks, {
        name,
        status: 'Pending',
        origin: seedOrigin(seed),
        message: `waiting for seed "${seed}" to probe`,
        lastUpdateTime: time,
      });
    }
  }

  const phase = preflightPhase(checks);
  const sourceBackupStore = source ? await facts.backupStore(source) : undefined;
  return {
    ...preflight.status,
    phase,
    ...(sourceName ? { sourceSeedName: sourceName } : {}),
    ...(sourceBackupStore ? { sourceBackupStore } : {}),
    checks,
    ...(shoot
      ? { plan: { ...preflight.status?.plan, mode: liveMode(shoot, source, targetSeed) } as MigrationPlan }
      : {}),
    ...(phase === 'Pending' ? {} : { completionTime: preflight.status?.completionTime ?? time }),
  };
}

interface Answer {
  passed: boolean;
  message: string;
}

/** The garden's checks for one preflight; a check that cannot be judged (no shoot) fails naming why. */
async function gardenAnswers(inputs: {
  preflight: MigrationPreflight;
  shoot: Shoot | null;
  source: Seed | null;
  target: Seed | null;
  facts: PreflightFacts;
  /** The time the answer is for: a seed's heartbeat is judged against it. */
  now: Date;
}): Promise<Map<PreflightCheckName, Answer>> {
  const { preflight, shoot, source, target, facts, now } = inputs;
  const { namespace = '' } = preflight.metadata;
  const { shootName, seedName: targetName } = preflight.spec;
  const answers = new Map<PreflightCheckName, Answer>();
  const set = (name: PreflightCheckName, passed: boolean, message: string) => answers.set(name, { passed, message });
  const withoutShoot = `shoot "${namespace}/${shootName}" does not exist`;

  set(PreflightCheckName.ShootMovable, ...shootMovable(shoot, withoutShoot, targetName));

  if (!target) {
    set(PreflightCheckName.TargetSeedReady, false, `seed "${targetName}" does not exist`);
  } else if (target.metadata.deletionTimestamp) {
    set(PreflightCheckName.TargetSeedReady, false, `seed "${targetName}" is being deleted`);
  } else {
    const readiness = seedReadiness(target, now);
    set(
      PreflightCheckName.TargetSeedReady,
      readiness.ready,
      readiness.ready ? `seed "${targetName}" is ready` : `seed "${targetName}" is not ready: ${readiness.reason}`,
    );
  }

  if (target) {
    const allocatable = Number(
      (target.status as { allocatable?: { shoots?: unknown } } | undefined)?.allocatable?.shoots,
    );
    const placed = await facts.shootsOn(targetName);
    if (Number.isFinite(allocatable) && placed >= allocatable) {
      set(
        PreflightCheckName.TargetSeedHasRoom,
        false,
        `seed "${targetName}" holds ${placed} shoots of the ${allocatable} it allows`,
      );
    } else {
      const limit = Number.isFinite(allocatable) ? `of the ${allocatable} it allows` : '(it sets no limit)';
      set(PreflightCheckName.TargetSeedHasRoom, true, `seed "${targetName}" holds ${placed} shoots ${limit}`);
    }
  } else {
    set(PreflightCheckName.TargetSeedHasRoom, false, `seed "${targetName}" does not exist`);
  }

  const withoutBackup = [source, target]
    .filter((seed): seed is Seed => !!seed && !seedBackupSecretRef(seed))
    .map((seed) => `seed "${seed.metadata.name}" has no spec.backup`);
  if (!source) withoutBackup.unshift(shoot ? 'the shoot has no source seed' : withoutShoot);
  if (!target) withoutBackup.push(`seed "${targetName}" does not exist`);
  set(
    PreflightCheckName.BackupsConfigured,
    withoutBackup.length === 0,
    withoutBackup.length === 0 ? 'both seeds back their shoots up' : withoutBackup.join('; '),
  );

  if (shoot && target) {
    const missing = await facts.missingExtensions(shoot, target, source ?? undefined);
    set(
      PreflightCheckName.ExtensionsAvailable,
      !missing,
      missing ?? `seed "${targetName}" runs every extension the shoot needs`,
    );
  } else {
    set(PreflightCheckName.ExtensionsAvailable, false, shoot ? `seed "${targetName}" does not exist` : withoutShoot);
  }

  const requester = preflight.spec.username;
  if (!requester) {
    set(PreflightCheckName.RequesterMayBind, false, 'the preflight does not name who asked');
  } else {
    const user: UserInfo = {
      name: requester,
      groups: preflight.spec.groups ?? [],
      ...(preflight.spec.uid ? { uid: preflight.spec.uid } : {}),
    };
    const may = await facts.mayBind(user, namespace, shootName);
    set(
      PreflightCheckName.RequesterMayBind,
      may,
      may
        ? `user "${requester}" may update shoots/binding of ${namespace}/${shootName}`
        : `user "${requester}" may not update shoots/binding of ${namespace}/${shootName}: only operators move control planes`,
    );
  }

  set(PreflightCheckName.LiveMigrationPossible, ...livePossible(shoot, source, target, withoutShoot));
  return answers;
}

function shootMovable(shoot: Shoot | null, withoutShoot: string, target: string): [boolean, string] {
  if (!shoot) return [false, withoutShoot];
  const name = `${shoot.metadata.namespace}/${shoot.metadata.name}`;
  if (shoot.metadata.deletionTimestamp) return [false, `shoot ${name} is being deleted`];
  const spec = shootSpecSeedName(shoot);
  const status = shootStatusSeedName(shoot);
  if (!spec) return [false, `shoot ${name} is not scheduled to a seed yet`];
  if (spec !== status) {
    return [false, `shoot ${name} is being moved already (spec.seedName ${spec}, status.seedName ${status ?? 'none'})`];
  }
  if (spec === target) return [false, `shoot ${name} runs on seed "${target}" already`];
  return [true, `shoot ${name} runs on seed "${spec}" and can be moved`];
}

function livePossible(
  shoot: Shoot | null,
  source: Seed | null,
  target: Seed | null,
  withoutShoot: string,
): [boolean, string] {
  if (!shoot) return [false, withoutShoot];
  const annotations = shoot.metadata.annotations ?? {};
  if (!wantsLiveMigration(annotations))
    return [true, 'the shoot does not ask for a live migration: the move is classic'];
  if (!source || !target) return [false, 'the shoot asks for a live migration, but a seed is missing'];
  const problem = etcdPeerReachabilityProblem(source, target) ?? etcdPeerReachabilityProblem(target, source);
  if (!problem) return [true, "both seeds reach each other's etcd peers: the move is live"];
  if (annotations[LIVE_MIGRATE_FALLBACK_ANNOTATION] === 'true') {
    return [true, `the move falls back to the classic migration, as the shoot allows: ${problem}`];
  }
  return [false, `the binding would be refused: ${problem}`];
}

function liveMode(shoot: Shoot, source: Seed | null, target: Seed | null): MigrationPlan['mode'] {
  if (!wantsLiveMigration(shoot.metadata.annotations) || !source || !target) return 'classic';
  return (etcdPeerReachabilityProblem(source, target) ?? etcdPeerReachabilityProblem(target, source))
    ? 'classic'
    : 'live';
}
