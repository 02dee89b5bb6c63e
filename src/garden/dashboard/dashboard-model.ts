/**
 * What the garden dashboard shows of a seed, a shoot and a move, as pure functions of the
 * garden's objects and the time (served as /dashboard/dashboard-model.js; the page's script
 * writes the results with textContent). A move is judged as `transplant migrate` judges it
 * (src/cli/migrate-outcome.ts): only the destination's Restore writes `status.seedName`, so a
 * shoot whose `status.seedName` names its `spec.seedName` has arrived. It imports types only: the
 * browser loads it as it is, and tests run it in Node.
 */
import type { ApiObject } from './dashboard-api.js';

/**
 * On the shoot's garden BackupEntry: when the newest snapshot of its etcd was taken (RFC 3339),
 * as the seed hosting it reports it (src/seed/gardenlet/backup-age-reporter.ts).
 */
export const LATEST_SNAPSHOT_ANNOTATION = 'backup.transplant.gardener.cloud/latest-snapshot';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
}

export interface LastOperation {
  type?: string;
  state?: string;
  progress?: number;
  description?: string;
  lastUpdateTime?: string;
}

export interface LastError {
  taskID?: string;
  description?: string;
}

/** The shoot fields the dashboard reads. */
export interface ShootFacts {
  namespace: string;
  name: string;
  uid: string | undefined;
  resourceVersion: string | undefined;
  specSeedName: string | undefined;
  statusSeedName: string | undefined;
  lastOperation: LastOperation | undefined;
  lastErrors: LastError[];
  conditions: Condition[];
}

export function shootFacts(shoot: ApiObject): ShootFacts {
  const spec = (shoot.spec ?? {}) as { seedName?: string | null };
  const status = (shoot.status ?? {}) as {
    seedName?: string | null;
    lastOperation?: LastOperation;
    lastErrors?: LastError[] | null;
    conditions?: Condition[];
  };
  return {
    namespace: shoot.metadata.namespace ?? '',
    name: shoot.metadata.name,
    uid: shoot.metadata.uid,
    resourceVersion: shoot.metadata.resourceVersion,
    specSeedName: spec.seedName || undefined,
    statusSeedName: status.seedName || undefined,
    lastOperation: status.lastOperation,
    lastErrors: status.lastErrors ?? [],
    conditions: status.conditions ?? [],
  };
}

/** `seed-a`, or `seed-a → seed-b` while the control plane moves (`—` where no seed hosts it). */
export function seedText(shoot: ShootFacts): string {
  if (!isMoving(shoot)) return shoot.specSeedName ?? shoot.statusSeedName ?? '—';
  return `${shoot.statusSeedName ?? '—'} → ${shoot.specSeedName}`;
}

/** `Create Succeeded (100%)`, as kubectl's LAST OPERATION column. */
export function operationText(last: LastOperation | undefined): string {
  if (!last?.type) return '—';
  return `${last.type} ${last.state ?? ''} (${last.progress ?? 0}%)`;
}

/**
 * What a flow's description says when no step runs (src/flow/progress.ts `describeProgress`):
 * `Starting <flow>`, `<flow> finished`, `<flow> failed at: …`, `<flow>: 3 of 9 steps done`.
 */
const NO_STEP_RUNNING = /^(Starting .+|.+ finished|.+ failed at: .+|.+: \d+ of \d+ steps done)$/;

/**
 * The steps a running operation is at: its description names them, comma-separated (step names
 * hold no comma); none when the operation ended or is between steps.
 */
export function runningSteps(last: LastOperation | undefined): string[] {
  const description = last?.description ?? '';
  if (!description || last?.state === 'Succeeded' || last?.state === 'Failed') return [];
  if (NO_STEP_RUNNING.test(description)) return [];
  return description
    .split(', ')
    .map((step) => step.trim())
    .filter(Boolean);
}

/** Where a move to `target` stands (src/cli/migrate-outcome.ts `movePhase`). */
export type MovePhase = 'waiting' | 'migrate' | 'restore' | 'done' | 'elsewhere';

export function movePhase(shoot: ShootFacts, target: string): MovePhase {
  if (shoot.specSeedName !== target) return 'elsewhere';
  if (shoot.statusSeedName === target) return 'done';
  const type = shoot.lastOperation?.type;
  if (type === 'Restore' && shoot.statusSeedName === undefined) return 'restore';
  if (type === 'Migrate') return 'migrate';
  return 'waiting';
}

/**
 * A shoot bound to another seed than the one that hosted it: `status.seedName` names the source
 * until its Migrate succeeds, then nothing until the Restore does. (A shoot being created has no
 * `status.seedName` either, but no Migrate or Restore.)
 */
export function isMoving(shoot: ShootFacts): boolean {
  if (shoot.specSeedName === undefined || shoot.specSeedName === shoot.statusSeedName) return false;
  const type = shoot.lastOperation?.type;
  return shoot.statusSeedName !== undefined || type === 'Migrate' || type === 'Restore';
}

/**
 * The bar's percent: while moving, the whole move (the Migrate the first half, the Restore the
 * second, as `transplant migrate` counts); otherwise the last operation's own progress.
 */
export function progressPercent(shoot: ShootFacts): number {
  const own = Math.max(0, Math.min(100, shoot.lastOperation?.progress ?? 0));
  if (!isMoving(shoot)) return own;
  switch (movePhase(shoot, shoot.specSeedName!)) {
    case 'migrate':
      return shoot.lastOperation?.state === 'Succeeded' ? 50 : Math.floor(own / 2);
    case 'restore':
      return 50 + Math.floor(own / 2);
    default:
      return 0;
  }
}

/** What a user following a move to `target` reads; `ended` once nothing more will happen. */
export function moveText(shoot: ShootFacts, target: string): { text: string; ended: boolean; failed: boolean } {
  const last = shoot.lastOperation;
  const doing = `${last?.type ?? ''} ${last?.state ?? ''}`.trim();
  switch (movePhase(shoot, target)) {
    case 'done':
      return { text: `Restore Succeeded on ${target}`, ended: true, failed: false };
    case 'elsewhere':
      return { text: `The shoot was bound to ${shoot.specSeedName ?? 'no seed'} meanwhile`, ended: true, failed: true };
    case 'waiting':
      return {
        text: `Bound to ${target}: waiting for the source seed to start the Migrate`,
        ended: false,
        failed: false,
      };
    default: {
      const failed = last?.state === 'Failed';
      const steps = runningSteps(last);
      const at = steps.length > 0 ? `: ${steps.join(', ')}` : '';
      return {
        text: `Moving to ${target}: ${doing} (${progressPercent(shoot)}% of the move)${at}`,
        ended: failed,
        failed,
      };
    }
  }
}

/** Ready when the gardenlet reports and every condition is True (what the binding admission asks). */
export function seedReadiness(seed: ApiObject): { ready: boolean; why: string } {
  const conditions = ((seed.status ?? {}) as { conditions?: Condition[] }).conditions ?? [];
  const notTrue = conditions.filter((c) => c.status !== 'True');
  if (!conditions.some((c) => c.type === 'GardenletReady')) return { ready: false, why: 'no gardenlet has reported' };
  if (notTrue.length > 0) {
    return {
      ready: false,
      why: notTrue.map((c) => `${c.type} ${c.status}: ${c.message ?? c.reason ?? ''}`).join('; '),
    };
  }
  return { ready: true, why: 'every condition is True' };
}

/** When the seed's gardenlet last reported (its GardenletReady condition's lastUpdateTime). */
export function heartbeatOf(seed: ApiObject): string | undefined {
  const conditions = ((seed.status ?? {}) as { conditions?: Condition[] }).conditions ?? [];
  return conditions.find((c) => c.type === 'GardenletReady')?.lastUpdateTime;
}

/** `seed.status.allocatable.shoots`, when the seed sets one. */
export function allocatableShoots(seed: ApiObject): number | undefined {
  const allocatable = ((seed.status ?? {}) as { allocatable?: { shoots?: number | string } }).allocatable;
  const shoots = Number(allocatable?.shoots);
  return Number.isFinite(shoots) && allocatable?.shoots !== undefined ? shoots : undefined;
}

/** The shoot's own BackupEntry among `entries` (its controller owner; never a Restore's `source-…` entry). */
export function backupEntryOf(shoot: ShootFacts, entries: Iterable<ApiObject>): ApiObject | undefined {
  for (const entry of entries) {
    if (entry.metadata.namespace !== shoot.namespace || entry.metadata.name.startsWith('source-')) continue;
    if (entry.metadata.ownerReferences?.some((o) => o.controller && o.uid === shoot.uid)) return entry;
  }
  return undefined;
}

/** `12 s ago` of the newest snapshot, or why there is no age to show. */
export function backupText(entry: ApiObject | undefined, now: number): string {
  if (!entry) return 'no backup entry';
  const at = entry.metadata.annotations?.[LATEST_SNAPSHOT_ANNOTATION];
  return at ? ageText(at, now) : 'no snapshot reported yet';
}

/** `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`; `—` for no or an unreadable time. */
export function ageText(time: string | undefined, now: number): string {
  const at = time ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(at)) return '—';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}
