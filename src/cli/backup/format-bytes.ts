/**
 * Sizes and throughput as `backup copy` and `backup ls` print them: binary units for sizes,
 * decimal megabytes per second for rates.
 */

const MiB = 1024 * 1024;

/** A size in B, KiB, MiB or GiB, one or two decimals. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / (1024 * MiB)).toFixed(2)} GiB`;
}

/** Megabytes (10^6) per second, as throughput is usually quoted. */
export function megabytesPerSecond(bytes: number, ms: number): string {
  return ms > 0 ? (bytes / 1e6 / (ms / 1000)).toFixed(1) : '0.0';
}
