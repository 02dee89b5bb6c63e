/**
 * Flag values shared by the benchmarks: integers with a floor, and ascending size lists.
 */

/** An integer flag or env value ≥ `min`; `fallback` when unset. */
export function intFlag(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** A comma-separated, strictly ascending list of positive integers, e.g. `1,10,30`. */
export function ascendingList(name: string, text: string): number[] {
  const list = text
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => intFlag(name, s.trim(), 0, 1));
  if (list.length === 0 || list.some((s, i) => i > 0 && s <= list[i - 1]!)) {
    throw new Error(`${name} must be a non-empty ascending list of positive integers`);
  }
  return list;
}
