/**
 * Go's flag syntax for `transplant backup`'s flags: `copy` takes etcdbrctl's flags, so its ints,
 * bools and durations parse (and print in messages) as Go's `flag` package does.
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../api/extensions/field-validation.js';

export function integer(value: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}

/** Go's `strconv.ParseBool`. */
export function goBool(value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('must be true or false');
}

/** Go's `time.ParseDuration` (`5m`, `30s`, `1h0m0s`, `0`), in milliseconds; negative values stay negative for validation. */
export function goDuration(value: string): number {
  const negative = value.startsWith('-');
  const ms = parseDuration(value.replace(/^[+-]/, ''));
  if (ms === undefined) throw new InvalidArgumentError('must be a duration such as 30s, 5m or 1h0m0s');
  return negative ? -ms : ms;
}

/** A duration the way Go prints it (`5m0s`, `1h0m0s`, `1.5s`). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (hours === 0 && minutes === 0 && seconds < 1) return `${ms}ms`;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}
