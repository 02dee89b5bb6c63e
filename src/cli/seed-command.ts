/**
 * `transplant seed`: runs a seed (its API server and gardenlet) until SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startSeed } from '../seed/seed.js';
import { runUntilSignal } from './run-until-signal.js';

export interface SeedCommandOptions {
  name: string;
  gardenKubeconfig: string;
  dir: string;
  host: string;
  port: number;
  backupProvider?: string;
  backupRoot?: string;
  logLevel: string;
}

export async function runSeedCommand(options: SeedCommandOptions): Promise<void> {
  if (options.backupProvider !== undefined && options.backupProvider !== 'local') {
    throw new Error(`--backup-provider ${options.backupProvider} is not supported here yet: use "local"`);
  }
  if (options.backupProvider === 'local' && !options.backupRoot) {
    throw new Error('--backup-provider local needs --backup-root DIR');
  }
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const seed = await startSeed({
    name: options.name,
    dir: options.dir,
    gardenKubeconfig: options.gardenKubeconfig,
    host: options.host,
    port: options.port,
    logger,
    backup: options.backupProvider
      ? { provider: 'local', region: 'local', root: resolve(options.backupRoot!) }
      : undefined,
  });
  process.stdout.write(`seed ${seed.name} API serving at ${seed.url}\n`);
  process.stdout.write(`seed admin kubeconfig: ${seed.adminKubeconfig}\n`);
  runUntilSignal(logger, `seed ${seed.name}`, () => seed.stop());
}
