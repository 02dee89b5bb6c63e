/**
 * What starting a Transplant process costs, bundled (what `make build` runs: dist/bundle, see
 * tools/bundle.ts) against the compiled modules (`TRANSPLANT_UNBUNDLED=1`), in one run, the modes
 * alternating so that neither gets the quieter machine:
 * - a short command (`transplant --help`, `transplant migrate --help`): its CPU time, read from
 *   this process's children's times in /proc/self/stat after it exited;
 * - a landscape (`transplant up --detach`, garden and two seeds): the wall time until `up` reports
 *   it ready, and the CPU time each process had used by then (/proc/<pid>/stat).
 *
 *   node dist/bench/process-start.js [--runs 5] [--json FILE]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UNBUNDLED_ENV } from '../src/cli/entry-choice.js';
import { intFlag, parseBenchFlags } from './lib/flags.js';
import { Landscape, tearDownOnExit } from './lib/landscape.js';
import { benchStart, describeMachine, sourceRevision } from './lib/machine.js';
import { processCpuSeconds } from './lib/proc.js';
import { summarize } from './lib/stats.js';
import { markdownTable } from './lib/table.js';

const mainJs = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const MODES = { bundled: {}, unbundled: { [UNBUNDLED_ENV]: '1' } } as const;
type Mode = keyof typeof MODES;

const SHORT_COMMANDS = [['--help'], ['migrate', '--help']];
const log = (line: string) => process.stderr.write(`${line}\n`);

function usage(): string {
  return `usage: node dist/bench/process-start.js [--runs N] [--json FILE]
  --runs N     landscapes started per mode, and rounds of the short commands (default 5)
  --json FILE  also write the samples as JSON
`;
}

/** CPU seconds this process's waited-for children have used: cutime + cstime of /proc/self/stat. */
function childrenCpuSeconds(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds of one short command, run to its end. */
function shortCommandCpu(args: string[], env: NodeJS.ProcessEnv): number {
  const before = childrenCpuSeconds();
  execFileSync(process.execPath, [mainJs, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
  return childrenCpuSeconds() - before;
}

interface LandscapeSample {
  readyMs: number;
  gardenCpu: number;
  seedCpu: number[];
  supervisorCpu: number;
}

let current: Landscape | undefined;

async function landscapeStart(env: NodeJS.ProcessEnv): Promise<LandscapeSample> {
  const landscape = Landscape.create({ seeds: [], prefix: 'transplant-bench-start-' });
  current = landscape;
  try {
    const started = performance.now();
    await landscape.up({ seeds: ['seed-a', 'seed-b'], env });
    const readyMs = performance.now() - started;
    const file = landscape.file();
    const cpu = (pid: number | undefined, what: string): number => {
      const seconds = pid === undefined ? undefined : processCpuSeconds(pid);
      if (seconds === undefined) throw new Error(`${what} (pid ${pid}) is not running once up reported ready`);
      return seconds;
    };
    return {
      readyMs,
      gardenCpu: cpu(file.garden.pid, 'the garden'),
      seedCpu: Object.entries(file.seeds).map(([name, seed]) => cpu(seed.pid, name)),
      supervisorCpu: cpu(file.supervisorPid, 'the supervisor'),
    };
  } finally {
    await landscape.down();
    current = undefined;
  }
}

async function main(): Promise<void> {
  const flags = parseBenchFlags(process.argv.slice(2), { runs: { type: 'string' } }, usage);
  const runs = intFlag('--runs', flags.runs, 5, 1);
  const start = benchStart(log);
  tearDownOnExit(() => current, log);

  const short: Record<Mode, number[]> = { bundled: [], unbundled: [] };
  const landscapes: Record<Mode, LandscapeSample[]> = { bundled: [], unbundled: [] };
  for (let run = 0; run < runs; run++) {
    // Alternating which mode goes first: a machine warming up or cooling down favours neither.
    const order: Mode[] = run % 2 === 0 ? ['bundled', 'unbundled'] : ['unbundled', 'bundled'];
    for (const mode of order) {
      for (const args of SHORT_COMMANDS) short[mode].push(shortCommandCpu(args, MODES[mode]));
      const sample = await landscapeStart(MODES[mode]);
      landscapes[mode].push(sample);
      log(
        `run ${run + 1} ${mode}: ready in ${(sample.readyMs / 1000).toFixed(2)} s; CPU s garden ${sample.gardenCpu.toFixed(2)}, seeds ${sample.seedCpu.map((s) => s.toFixed(2)).join(' ')}, supervisor ${sample.supervisorCpu.toFixed(2)}`,
      );
    }
  }

  const median = (values: number[]) => summarize(values).p50;
  const measures: { name: string; of: (mode: Mode) => number[]; unit: 's' | 'CPU s' }[] = [
    { name: 'short command (--help, migrate --help)', of: (m) => short[m], unit: 'CPU s' },
    { name: 'landscape ready (up --detach)', of: (m) => landscapes[m].map((s) => s.readyMs / 1000), unit: 's' },
    { name: 'garden until ready', of: (m) => landscapes[m].map((s) => s.gardenCpu), unit: 'CPU s' },
    { name: 'seed until ready', of: (m) => landscapes[m].flatMap((s) => s.seedCpu), unit: 'CPU s' },
    { name: 'supervisor until ready', of: (m) => landscapes[m].map((s) => s.supervisorCpu), unit: 'CPU s' },
  ];
  const rows = measures.map(({ name, of, unit }) => {
    const bundled = median(of('bundled'));
    const unbundled = median(of('unbundled'));
    return [name, unit, bundled.toFixed(2), unbundled.toFixed(2), `${(bundled / unbundled).toFixed(2)}×`];
  });
  process.stdout.write(
    `${markdownTable(['measure (median)', 'unit', 'bundled', 'unbundled', 'bundled / unbundled'], rows, [2, 3, 4])}\n`,
  );
  if (flags.json) {
    const revision = sourceRevision(process.cwd());
    const result = { machine: describeMachine(start.machine), revision, runs, short, landscapes };
    writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`);
  }
}

main().catch((err) => {
  log((err as Error).stack ?? String(err));
  process.exit(1);
});
