/**
 * `transplant garden`: runs the garden until SIGINT/SIGTERM.
 */
import { pino } from 'pino';
import { startGarden } from '../garden/garden.js';
import { runUntilSignal } from './run-until-signal.js';

export async function runGardenCommand(options: {
  dir: string;
  host: string;
  port: number;
  logLevel: string;
}): Promise<void> {
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const garden = await startGarden({ dir: options.dir, host: options.host, port: options.port, logger });
  process.stdout.write(`garden API serving at ${garden.url}\n`);
  process.stdout.write(`operator kubeconfig: ${garden.operatorKubeconfig}\n`);
  process.stdout.write(`project member kubeconfig: ${garden.memberKubeconfig}\n`);
  runUntilSignal(logger, 'garden', () => garden.stop());
}
