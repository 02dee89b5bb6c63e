/**
 * A CronJob's schedule as kube-controller-manager reads it (robfig/cron's standard parser, k8s
 * pkg/controller/cronjob/utils.go): five fields or a descriptor (@hourly, @daily …, @every
 * <duration>), in `spec.timeZone` or a `CRON_TZ=`/`TZ=` prefix (older objects may still carry
 * one), else in UTC (kube-controller-manager's local time zone in a container). The times
 * themselves come from `cron-parser`.
 */
import { CronExpressionParser } from 'cron-parser';

export interface Schedule {
  /** The first scheduled time after `after`. */
  next(after: Date): Date;
  /**
   * The latest scheduled time after `earliest` and not after `now` (undefined: none): a
   * controller that was away starts at most this one, never each one it missed.
   */
  mostRecent(earliest: Date, now: Date): Date | undefined;
}

/** Go's duration units, for `@every`. */
const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDurationMs(text: string): number | undefined {
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (durationUnits[unit ?? ''] ?? 0), 0);
}

/** The schedule, or an error saying why it is none (an unknown time zone among them). */
export function parseSchedule(schedule: string, timeZone: string | undefined): Schedule {
  let text = schedule.trim();
  let tz = timeZone ?? 'UTC';
  const prefix = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(text);
  if (prefix) {
    tz = prefix[1] ?? tz;
    text = text.slice(prefix[0].length);
  }
  if (!Intl.supportedValuesOf('timeZone').includes(tz) && tz !== 'UTC') throw new Error(`unknown time zone ${tz}`);
  const every = /^@every\s+(\S+)$/.exec(text);
  if (every) {
    const interval = parseDurationMs(every[1] ?? '');
    if (!interval || interval <= 0) throw new Error(`failed to parse duration ${every[1]}`);
    // robfig/cron: at least a second, whole seconds; the next run is that long after the last.
    const step = Math.max(1000, Math.floor(interval / 1000) * 1000);
    const next = (after: Date) => new Date(Math.floor(after.getTime() / 1000) * 1000 + step);
    return {
      next,
      mostRecent: (earliest, now) => {
        const first = next(earliest);
        if (first.getTime() > now.getTime()) return undefined;
        return new Date(first.getTime() + Math.floor((now.getTime() - first.getTime()) / step) * step);
      },
    };
  }
  if (!text.startsWith('@') && text.split(/\s+/).length !== 5) {
    throw new Error(`expected exactly 5 fields, found ${text.split(/\s+/).length}: ${schedule}`);
  }
  // Parsed once here so that a bad schedule is refused at once, not at its first use.
  CronExpressionParser.parse(text, { tz });
  return {
    next: (after) => CronExpressionParser.parse(text, { currentDate: after, tz }).next().toDate(),
    mostRecent: (earliest, now) => {
      // prev() is strictly before its start: from just after `now`, a time at `now` counts.
      const latest = CronExpressionParser.parse(text, { currentDate: new Date(now.getTime() + 1), tz })
        .prev()
        .toDate();
      return latest.getTime() > earliest.getTime() ? latest : undefined;
    },
  };
}
