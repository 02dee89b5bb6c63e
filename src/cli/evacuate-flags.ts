/**
 * `transplant evacuate`'s flags and help; the command itself (evacuate-command.ts) is loaded when
 * it runs.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { positiveDuration, seedName } from './migrate-flags.js';

interface EvacuateFlags {
  to?: string;
  maxParallel: number;
  dryRun?: boolean;
  json?: boolean;
  timeout: number;
  preflightTimeout: number;
  kubeconfig?: string;
  context?: string;
}

function parallelism(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

export function evacuateCommand(): Command {
  return new Command('evacuate')
    .description(
      'Move every shoot off SEED (to drain it), talking only to the garden. Each shoot gets what\n' +
        '`transplant migrate` gives one: a preflight, the binding, the move followed to its end.\n' +
        'The destination is --to, or else the first other ready seed, fewest shoots first,\n' +
        'whose preflight passes; a shoot no seed passes stays and is reported with the failed\n' +
        'checks. Running it again continues: shoots already moving are followed (never bound\n' +
        'again), shoots left behind are tried again. Ctrl-C stops starting and following moves;\n' +
        'moves already bound go on. A summary ends the output.\n' +
        'Exit codes: 0 every shoot moved (with --dry-run: would move); 1 a shoot was skipped or\n' +
        'its move failed, or the garden refused a request; 130 interrupted.',
    )
    .argument('<seed>', 'the seed to empty', seedName)
    .option('--to <seed>', 'move every shoot to this seed', seedName)
    .addOption(new Option('--max-parallel <n>', 'moves at a time').argParser(parallelism).default(3))
    .option('--dry-run', 'only the preflights: print where each shoot would go, change nothing')
    .option('--json', 'one JSON object per line on stdout for each event and result')
    .option('--kubeconfig <file>', 'the garden kubeconfig (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', "the kubeconfig's context to use")
    .addOption(
      new Option('--timeout <duration>', 'how long one move may take before it counts as failed (it goes on)')
        .argParser(positiveDuration)
        .default(30 * 60_000, '30m'),
    )
    .addOption(
      new Option('--preflight-timeout <duration>', 'how long one preflight may take to settle')
        .argParser(positiveDuration)
        .default(60_000, '60s'),
    )
    .action(async (seed: string, flags: EvacuateFlags) => {
      const { runEvacuateCommand } = await import('./evacuate-command.js');
      process.exitCode = await runEvacuateCommand({
        seed,
        ...(flags.to ? { to: flags.to } : {}),
        maxParallel: flags.maxParallel,
        dryRun: flags.dryRun === true,
        json: flags.json === true,
        timeoutMs: flags.timeout,
        preflightTimeoutMs: flags.preflightTimeout,
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
      });
    });
}
