#!/usr/bin/env node
/**
 * The `transplant` command.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runGardenCommand } from './garden-command.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

const program = new Command();
program
  .name('transplant')
  .description('Hosts Kubernetes control planes on seeds and migrates them between seeds (Gardener API).')
  .version('0.1.0');

program
  .command('garden')
  .description(
    'Run the garden: the Gardener-compatible API server (core.gardener.cloud/v1beta1, RBAC, SQLite store) and its controller manager.\n' +
      'Writes DIR/garden.kubeconfig (operator, may use shoots/binding) and DIR/project-member.kubeconfig (member of project "dev").',
  )
  .requiredOption('--dir <dir>', 'state directory: store, certificates, credentials, kubeconfigs (created if missing)')
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on; 0 picks a free one and keeps it for later starts', port, 0)
  .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
  .action(async (options: { dir: string; host: string; port: number; logLevel: string }) => {
    await runGardenCommand(options);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
