/**
 * `transplant seed-credentials`: an operator issues, rotates, lists and revokes seeds' garden
 * credentials (`src/garden/seed-credentials.ts`) with the operator's kubeconfig. Tokens go only
 * into the kubeconfig file written (mode 0600), never to stdout or a log.
 */
import { Command } from 'commander';
import type { RestClient } from '../client/rest-client.js';
import type { GardenEndpoint } from '../garden/seed-credentials.js';

/** Loaded when a subcommand runs, as program.ts loads every command's code. */
type Credentials = typeof import('../garden/seed-credentials.js');

interface CommonOptions {
  kubeconfig?: string;
}

const kubeconfigHelp = "the operator's garden kubeconfig (group gardener.cloud:operators); default $KUBECONFIG";

function operatorKubeconfig(options: CommonOptions): string {
  const path = options.kubeconfig ?? process.env.KUBECONFIG;
  if (!path) throw new Error("give the operator's garden kubeconfig: --kubeconfig FILE or KUBECONFIG");
  return path;
}

async function withOperator<T>(
  options: CommonOptions,
  run: (operator: { client: RestClient; garden: GardenEndpoint }, credentials: Credentials) => Promise<T>,
): Promise<T> {
  const credentials = await import('../garden/seed-credentials.js');
  const operator = credentials.operatorClient(operatorKubeconfig(options));
  try {
    return await run(operator, credentials);
  } finally {
    operator.client.close();
  }
}

export function seedCredentialsCommand(): Command {
  const command = new Command('seed-credentials').description(
    "Manage seeds' credentials in the garden: one bearer token per seed (user gardener.cloud:system:seed:<seed>, " +
      'group gardener.cloud:system:seeds), recorded only as its SHA-256 in the Secret ' +
      'kube-system/seed-credential-<seed>-<8 hex digits>. Deleting that Secret revokes the token: the garden refuses it ' +
      "within a second and ends the seed's open watches. Only operators may use these commands (docs/security.md).",
  );
  command
    .command('issue')
    .description(
      "Issue one more credential for SEED and write its garden kubeconfig to --out (mode 0600); the seed's other " +
        'credentials stay valid. For a seed on another host: copy the file there and start `transplant seed ' +
        '--garden-kubeconfig FILE`; then `revoke --keep <name>` retires the old credential.',
    )
    .argument('<seed>', 'the seed name')
    .requiredOption('--out <file>', "where to write the seed's garden kubeconfig")
    .option('--kubeconfig <file>', kubeconfigHelp)
    .action(async (seed: string, options: CommonOptions & { out: string }) => {
      const name = await withOperator(options, ({ client, garden }, c) =>
        c.issueSeedKubeconfig(client, garden, seed, options.out),
      );
      process.stdout.write(`secret/${name} issued; kubeconfig written to ${options.out}\n`);
    });
  command
    .command('rotate')
    .description(
      "Rotate SEED's credential: issue a new one, write the kubeconfig to --out (the file the seed's " +
        '--garden-kubeconfig names, for a seed on this host), then revoke the old ones. A running gardenlet reads the ' +
        'file again when the garden refuses its old token and carries on.',
    )
    .argument('<seed>', 'the seed name')
    .requiredOption('--out <file>', "the seed's garden kubeconfig to replace")
    .option('--kubeconfig <file>', kubeconfigHelp)
    .action(async (seed: string, options: CommonOptions & { out: string }) => {
      const result = await withOperator(options, ({ client, garden }, c) =>
        c.rotateSeedCredential(client, garden, seed, options.out),
      );
      process.stdout.write(`secret/${result.name} issued; kubeconfig written to ${options.out}\n`);
      for (const name of result.revoked) process.stdout.write(`secret/${name} revoked\n`);
    });
  command
    .command('revoke')
    .description(
      "Revoke SEED's credentials (all of them, or all but --keep) by deleting their Secrets; the same as " +
        '`kubectl -n kube-system delete secret seed-credential-<seed>-<digits>`.',
    )
    .argument('<seed>', 'the seed name')
    .option('--keep <name>', 'the credential Secret to keep')
    .option('--kubeconfig <file>', kubeconfigHelp)
    .action(async (seed: string, options: CommonOptions & { keep?: string }) => {
      const revoked = await withOperator(options, ({ client }, c) =>
        c.revokeSeedCredentials(client, seed, options.keep),
      );
      for (const name of revoked) process.stdout.write(`secret/${name} revoked\n`);
      if (revoked.length === 0) process.stdout.write(`no credential of seed ${seed} to revoke\n`);
    });
  command
    .command('list')
    .description('List the recorded credentials (SEED NAME ISSUED), of one seed or of all.')
    .argument('[seed]', 'only this seed')
    .option('--kubeconfig <file>', kubeconfigHelp)
    .action(async (seed: string | undefined, options: CommonOptions) => {
      const credentials = await withOperator(options, ({ client }, c) => c.listSeedCredentials(client, seed));
      const rows = [['SEED', 'NAME', 'ISSUED'], ...credentials.map((c) => [c.seed, c.name, c.issued])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const row of rows)
        process.stdout.write(
          `${row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('   ')
            .trimEnd()}\n`,
        );
    });
  return command;
}
