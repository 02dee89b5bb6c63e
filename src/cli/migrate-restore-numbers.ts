/**
 * The numbers of a move's copy and restore as `transplant migrate` shows them, as pure functions
 * of the reports the destination seed wrote on the shoot's BackupEntry
 * (src/api/core-gardener/restore-progress.ts): bytes copied, bytes fetched and keys restored,
 * each with its rate, measured between successive reports on the seed's clock (the `updated` it
 * wrote), so the command's own clock and how late a watch event comes change nothing.
 * migrate-progress.ts puts them into its view and its three kinds of output.
 */
import type { RestoreProgressReport } from '../api/core-gardener/restore-progress.js';

/** How far back the rates look. */
export const RATE_WINDOW_MS = 10_000;

/** `512 B`, `45.2 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `1,234`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The reports a rate needs: those of the last `RATE_WINDOW_MS` before the newest, at least two. */
export function keptForRates(reports: readonly RestoreProgressReport[]): RestoreProgressReport[] {
  const last = Date.parse(reports.at(-1)?.updated ?? '');
  const start = reports.findIndex((r) => Date.parse(r.updated) >= last - RATE_WINDOW_MS);
  return reports.slice(Math.max(0, Math.min(start, reports.length - 2)));
}

/**
 * Per second, how fast `count` grew over `reports`: from the first report that has it to the
 * last. Undefined without two reports apart in time, or when it went back (a copy started over).
 */
export function reportRate(
  reports: readonly RestoreProgressReport[],
  count: (report: RestoreProgressReport) => number | undefined,
): number | undefined {
  const first = reports.find((r) => count(r) !== undefined);
  const last = reports.at(-1);
  if (!first || !last || first === last) return undefined;
  const from = count(first) ?? 0;
  const to = count(last);
  const seconds = (Date.parse(last.updated) - Date.parse(first.updated)) / 1000;
  if (to === undefined || to < from || !(seconds > 0)) return undefined;
  return (to - from) / seconds;
}

export interface RestoreRates {
  copiedBytes?: number;
  fetchedBytes?: number;
  restoredKeys?: number;
}

/**
 * The rate of what moves now, per second: the copy's bytes while it copies, the restore's bytes
 * while it fetches, then its keys; none once a phase ended.
 */
export function restoreRates(reports: readonly RestoreProgressReport[]): RestoreRates {
  const last = reports.at(-1);
  if (!last || last.done) return {};
  const of = (name: keyof RestoreRates, rate: number | undefined): RestoreRates =>
    rate === undefined ? {} : { [name]: rate };
  if (last.phase === 'Copy') {
    return of(
      'copiedBytes',
      reportRate(reports, (r) => (r.phase === 'Copy' ? r.copiedBytes : undefined)),
    );
  }
  if ((last.fetchedBytes ?? 0) < (last.fetchTotalBytes ?? 0)) {
    return of(
      'fetchedBytes',
      reportRate(reports, (r) => (r.phase === 'Restore' ? r.fetchedBytes : undefined)),
    );
  }
  // Keys move only once everything is fetched: measured from then on.
  const fetchedAll = (r: RestoreProgressReport) => (r.fetchedBytes ?? 0) >= (r.fetchTotalBytes ?? 0);
  return of(
    'restoredKeys',
    reportRate(reports, (r) => (r.phase === 'Restore' && fetchedAll(r) ? r.restoredKeys : undefined)),
  );
}

/** ` (12.3 MiB/s)`; nothing without a rate. */
function rateText(rate: number | undefined, format: (n: number) => string): string {
  return rate === undefined ? '' : ` (${format(rate)}/s)`;
}

const bytesPerSecond = (n: number) => formatBytes(Math.round(n));
const keysPerSecond = (n: number) => `${formatCount(n)} keys`;

/**
 * `copied 45.2 MiB of 100.0 MiB (12.3 MiB/s)` once the copy chose what to copy, and `fetched
 * 20.0 MiB of 20.0 MiB, restored 1,234 of 5,000 keys (800 keys/s)` once the restore began; none
 * before a report came.
 */
export function restoreProgressLines(reports: readonly RestoreProgressReport[]): string[] {
  const last = reports.at(-1);
  if (!last) return [];
  const rates = restoreRates(reports);
  const lines: string[] = [];
  const copyTotal = last.copyTotalBytes;
  if (copyTotal !== undefined && (copyTotal > 0 || last.done || last.phase === 'Restore')) {
    const copied = `copied ${formatBytes(last.copiedBytes ?? 0)} of ${formatBytes(copyTotal)}`;
    lines.push(`${copied}${rateText(rates.copiedBytes, bytesPerSecond)}`);
  }
  if (last.phase === 'Restore') {
    const fetched = `fetched ${formatBytes(last.fetchedBytes ?? 0)} of ${formatBytes(last.fetchTotalBytes ?? 0)}`;
    const total = last.totalKeys === undefined ? '' : ` of ${formatCount(last.totalKeys)}`;
    const keys = `restored ${formatCount(last.restoredKeys ?? 0)}${total} keys`;
    lines.push(
      `${fetched}${rateText(rates.fetchedBytes, bytesPerSecond)}, ${keys}${rateText(rates.restoredKeys, keysPerSecond)}`,
    );
  }
  return lines;
}

/**
 * What a plain line of the numbers is printed for, so a log gets a line per step, not per
 * report: a phase that began or ended, each tenth of a count.
 */
export function restoreProgressKey(reports: readonly RestoreProgressReport[]): string {
  const last = reports.at(-1);
  if (!last) return '';
  const tenth = (done: number | undefined, total: number | undefined) =>
    total ? Math.floor((10 * (done ?? 0)) / total) : null;
  return JSON.stringify([
    last.phase,
    last.done ?? false,
    tenth(last.copiedBytes, last.copyTotalBytes),
    tenth(last.fetchedBytes, last.fetchTotalBytes),
    tenth(last.restoredKeys, last.totalKeys),
  ]);
}
