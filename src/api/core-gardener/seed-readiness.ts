/**
 * Whether a seed may take a shoot now, and the STATUS column of `kubectl get seeds`.
 *
 * `seedReadiness` is what binding admission asks: the gardenlet's condition `GardenletReady` is
 * True and was refreshed recently (the gardenlet updates it with every heartbeat; the controller
 * manager turns it Unknown when the heartbeat Lease goes stale), and every other health condition
 * the seed reports (`BackupBucketsReady`, `ExtensionsReady`, `SeedSystemComponentsHealthy`) is
 * True. `seedStatusColumn` reproduces Gardener's seed table convertor exactly.
 */
import type { Condition } from '../meta.js';
import { getCondition, SeedConditionType } from './conditions.js';
import type { Seed } from './seed.js';

/** How old the gardenlet's last heartbeat (`GardenletReady.lastUpdateTime`) may be, in seconds. */
export const SEED_HEARTBEAT_MAX_AGE_SECONDS = 60;

export interface SeedReadiness {
  ready: boolean;
  /** Why not, in words an operator understands; a short confirmation when ready. */
  reason: string;
}

/** The conditions that must be True when the seed reports them. */
const OPTIONAL_HEALTH_CONDITIONS = [
  SeedConditionType.BackupBucketsReady,
  SeedConditionType.ExtensionsReady,
  SeedConditionType.SeedSystemComponentsHealthy,
] as const;

/** Whether `seed` is healthy enough to take a shoot at `now`; see the module comment. */
export function seedReadiness(
  seed: Seed,
  now: Date = new Date(),
  heartbeatMaxAgeSeconds: number = SEED_HEARTBEAT_MAX_AGE_SECONDS,
): SeedReadiness {
  const conditions = seed.status?.conditions ?? [];
  const problems: string[] = [];

  const gardenlet = getCondition(conditions, SeedConditionType.GardenletReady);
  if (!gardenlet) {
    problems.push(
      `condition ${SeedConditionType.GardenletReady} has not been reported yet (no gardenlet is running for it)`,
    );
  } else if (gardenlet.status !== 'True') {
    problems.push(describeCondition(gardenlet, now));
  } else {
    const heartbeat = gardenlet.lastUpdateTime ?? gardenlet.lastTransitionTime;
    const age = heartbeat ? ageSeconds(heartbeat, now) : undefined;
    if (age === undefined) {
      problems.push(
        `condition ${SeedConditionType.GardenletReady} carries no update time, so the gardenlet's heartbeat cannot be checked`,
      );
    } else if (age > heartbeatMaxAgeSeconds) {
      problems.push(
        `the gardenlet's last heartbeat (condition ${SeedConditionType.GardenletReady} updated) was ${formatDuration(age)} ago, more than the allowed ${formatDuration(heartbeatMaxAgeSeconds)}`,
      );
    }
  }

  for (const type of OPTIONAL_HEALTH_CONDITIONS) {
    const condition = getCondition(conditions, type);
    if (condition && condition.status !== 'True') problems.push(describeCondition(condition, now));
  }

  if (problems.length > 0) return { ready: false, reason: problems.join('; ') };
  return { ready: true, reason: 'the gardenlet reports in time and every health condition is True' };
}

/** `condition X is <status> for <age> (<reason>: <message>)`. */
function describeCondition(condition: Condition, now: Date): string {
  let text = `condition ${condition.type} is ${condition.status}`;
  const since = condition.lastTransitionTime ? ageSeconds(condition.lastTransitionTime, now) : undefined;
  if (since !== undefined) text += ` for ${formatDuration(since)}`;
  const detail = [condition.reason, condition.message].filter((s) => s).join(': ');
  if (detail) text += ` (${detail})`;
  return text;
}

/** Whole seconds from `timestamp` to `now` (0 for future timestamps), undefined when unparsable. */
export function ageSeconds(timestamp: string, now: Date): number | undefined {
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.floor((now.getTime() - at) / 1000));
}

/** `1h2m3s`, `5m0s`, `42s` (Go's time.Duration rounded to seconds). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}

/**
 * The STATUS cell of `kubectl get seeds`, as Gardener computes it: Unknown when GardenletReady is
 * Unknown; NotReady when GardenletReady is not True, BackupBucketsReady is present and not True,
 * ExtensionsReady is missing, False or Unknown, or SeedSystemComponentsHealthy is False or
 * Unknown; otherwise Ready.
 */
export function seedStatusColumn(seed: Seed): 'Ready' | 'NotReady' | 'Unknown' {
  const conditions = seed.status?.conditions ?? [];
  const gardenlet = getCondition(conditions, SeedConditionType.GardenletReady);
  const backupBuckets = getCondition(conditions, SeedConditionType.BackupBucketsReady);
  const extensions = getCondition(conditions, SeedConditionType.ExtensionsReady);
  const systemComponents = getCondition(conditions, SeedConditionType.SeedSystemComponentsHealthy);

  if (gardenlet?.status === 'Unknown') return 'Unknown';
  if (
    gardenlet?.status !== 'True' ||
    (backupBuckets && backupBuckets.status !== 'True') ||
    !extensions ||
    extensions.status === 'False' ||
    extensions.status === 'Unknown' ||
    (systemComponents && (systemComponents.status === 'False' || systemComponents.status === 'Unknown'))
  ) {
    return 'NotReady';
  }
  return 'Ready';
}
