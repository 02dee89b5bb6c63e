/**
 * Flag values shared by the benchmarks: the common flags, integers with a floor, and ascending
 * size lists.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

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

/** The flags every benchmark takes: `--json FILE`, `--keep`, `--strict`, `-h/--help`. */
const COMMON_FLAGS = {
  json: { type: 'string' },
  keep: { type: 'boolean', default: false },
  strict: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionsConfig;

type BenchConfig<T extends OptionsConfig> = { args: string[]; options: T & typeof COMMON_FLAGS; strict: true };

/**
 * Parses a benchmark's command line: its own `options` plus the common flags, strictly; `--help`
 * prints `usage()` and exits.
 */
export function parseBenchFlags<T extends OptionsConfig>(
  argv: string[],
  options: T,
  usage: () => string,
): ReturnType<typeof parseArgs<BenchConfig<T>>>['values'] {
  const config: BenchConfig<T> = { args: argv, options: { ...options, ...COMMON_FLAGS }, strict: true };
  const { values } = parseArgs(config);
  if ((values as { help?: boolean }).help) {
    process.stdout.write(usage());
    process.exit(0);
  }
  return values;
}
