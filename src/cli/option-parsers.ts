/** Parsers of command-line option values shared by the commands (commander's `argParser`). */
import { InvalidArgumentError } from 'commander';
import { goDuration } from './backup/go-flags.js';

/** A Go duration (`48h`, `30m`, `0`) of at least 0, in milliseconds. */
export function nonNegativeDuration(value: string): number {
  const ms = goDuration(value);
  if (ms < 0) throw new InvalidArgumentError('must not be negative');
  return ms;
}

export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

/** A count where 0 means "no limit" (kube-apiserver's in-flight flags). */
export function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 for no limit');
  return n;
}
