/**
 * `transplant garden`: runs the garden until SIGINT/SIGTERM.
 */
import { pino } from 'pino';
import { startGarden } from '../garden/garden.js';

export async function runGardenCommand(options: {
  dir: string;
  host: string;
  port: number;
  logLevel: string;
}): Promise<void> {
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const garden = await startGarden({ dir: options.dir, host: options.host, port: options.port, logger });
  logger.info(
    { url: garden.url, operatorKubeconfig: garden.operatorKubeconfig, memberKubeconfig: garden.memberKubeconfig },
    'garden ready',
  );
  process.stdout.write(`garden API serving at ${garden.url}\n`);
  process.stdout.write(`operator kubeconfig: ${garden.operatorKubeconfig}\n`);
  process.stdout.write(`project member kubeconfig: ${garden.memberKubeconfig}\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping garden');
    garden
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
