/**
 * The flags of `transplant migrate` (and `kubectl transplant migrate`): parsed and checked here,
 * loaded with the CLI; the command itself (migrate-command.ts) is loaded only when it runs.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { goDuration } from './backup/go-flags.js';

/** `NAMESPACE/SHOOT` as given. */
export interface ShootRef {
  namespace: string;
  shoot: string;
}

/** The flags as commander hands them over. */
export interface MigrateFlags {
  to: string;
  kubeconfig?: string;
  context?: string;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  timeout: number;
  preflightTimeout: number;
}

/** A name the API would take: a DNS label (namespace, shoot) or subdomain (seed). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function shootRef(value: string): ShootRef {
  const parts = value.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new InvalidArgumentError('give the shoot as NAMESPACE/SHOOT, e.g. garden-dev/my-shoot');
  }
  const [namespace, shoot] = parts as [string, string];
  for (const [what, name] of [
    ['namespace', namespace],
    ['shoot', shoot],
  ] as const) {
    if (!DNS_LABEL.test(name) || name.length > 63) {
      throw new InvalidArgumentError(`${what} "${name}" is not a valid name (lower-case letters, digits and '-')`);
    }
  }
  return { namespace, shoot };
}

export function seedName(value: string): string {
  if (!DNS_SUBDOMAIN.test(value) || value.length > 253) {
    throw new InvalidArgumentError(`seed "${value}" is not a valid name (lower-case letters, digits, '-' and '.')`);
  }
  return value;
}

/** A Go duration above 0 (`90s`, `30m`, `1h`), in milliseconds. */
export function positiveDuration(value: string): number {
  const ms = goDuration(value);
  if (!(ms > 0)) throw new InvalidArgumentError('must be a duration above 0, such as 90s, 30m or 1h');
  return ms;
}

const EXIT_CODES_HELP = `
Exit codes:
  0    the shoot runs on SEED; with --dry-run: the preflight Succeeded
  1    the preflight Failed (with --dry-run: did not succeed; without it, unless
       --force); --preflight-timeout or --timeout passed; the Migrate or Restore
       reached state Failed; the shoot was deleted or bound to another seed
       meanwhile (an aborted live migration is bound back to its source); the
       garden refused a request or could not be reached; bad input
  130  interrupted (Ctrl-C): only the following stopped; a binding already made
       stands and the move goes on`;

export function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      "Move a shoot's control plane to another seed, talking only to the garden.\n" +
        '1. Preflight: creates a MigrationPreflight (SHOOT-xxxxx in NAMESPACE), waits\n' +
        '   until it settles (the garden and both seeds answer its checks), prints\n' +
        '   each check and deletes it again.\n' +
        "2. Binding: what the seed document's command does (docs/migration.md): reads\n" +
        '   the shoot and PUTs it to shoots/SHOOT/binding with spec.seedName SEED\n' +
        '   (after a 409 Conflict it reads the shoot again, up to 5 times).\n' +
        '3. Follows the shoot (status.lastOperation: steps, percent, ETA;\n' +
        "   status.lastErrors) until the destination's Restore succeeded and\n" +
        '   status.seedName is SEED. A live migration (the shoot annotated\n' +
        '   migration.gardener.cloud/live-migrate=true; the preflight names the mode)\n' +
        '   ends the same way.\n' +
        'On a terminal the progress is one block redrawn in place, otherwise one\n' +
        'timestamped line per change. Errors go to stderr.',
    )
    .argument('<namespace/shoot>', 'the shoot, in its project namespace (e.g. garden-dev/my-shoot)', shootRef)
    .requiredOption('--to <seed>', 'the seed to move the control plane to', seedName)
    .option(
      '--kubeconfig <file>',
      'the garden kubeconfig (default: the files of $KUBECONFIG, merged as kubectl merges them, else ~/.kube/config)',
    )
    .option('--context <name>', "the kubeconfig's context to use (default: its current context)")
    .option('--dry-run', 'only the preflight: print the plan and the checks, change nothing')
    .option(
      '--force',
      "bind even when the preflight Failed (the output says so); the garden's admission still judges the binding",
    )
    .option('--json', 'one JSON object per line on stdout for each event (preflight, binding, status change, end)')
    .addOption(
      new Option('--timeout <duration>', 'stop following after this long; the move goes on (exit 1)')
        .argParser(positiveDuration)
        .default(30 * 60_000, '30m'),
    )
    .addOption(
      new Option('--preflight-timeout <duration>', 'give up when the preflight has not settled after this long')
        .argParser(positiveDuration)
        .default(60_000, '60s'),
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (ref: ShootRef, flags: MigrateFlags) => {
      const { runMigrateCommand } = await import('./migrate-command.js');
      process.exitCode = await runMigrateCommand({
        ...ref,
        target: flags.to,
        dryRun: flags.dryRun === true,
        force: flags.force === true,
        json: flags.json === true,
        timeoutMs: flags.timeout,
        preflightTimeoutMs: flags.preflightTimeout,
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
      });
    });
}
