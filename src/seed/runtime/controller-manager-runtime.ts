/**
 * The kube-controller-managers of the shoots a seed hosts, in this process, each talking to its
 * shoot's API through the shoot's endpoint with its own client certificate. Each instance gets an
 * identity of this seed process (`<seed>_<uuid>`) for its leader election.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { discoverResources } from '../../client/discovery.js';
import { RestClient } from '../../client/rest-client.js';
import {
  type ShootControllerManager,
  startShootControllerManager,
} from '../../shoot/controller-manager/controller-manager.js';
import { InProcessRuntime } from './in-process-runtime.js';

export interface ControllerManagerConfig {
  /** The shoot's control-plane namespace. */
  name: string;
  /** The shoot's API URL, the CA its serving certificate chains to, and the controller manager's certificate. */
  apiUrl: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

export class ControllerManagerRuntime extends InProcessRuntime<ControllerManagerConfig, ShootControllerManager> {
  constructor(seedName: string, logger: Logger) {
    const instance = randomUUID();
    super(async (config) => {
      // Every watch holds a connection of its own (HTTP/1.1), and the garbage collector watches
      // each resource discovery lists (some sixty of the built-in API): no cap on the pool, or the
      // watches would take every connection and leave the other controllers' requests queued.
      const client = new RestClient(
        {
          server: config.apiUrl,
          caPem: config.caPem,
          clientCertPem: config.certPem,
          clientKeyPem: config.keyPem,
        },
        { maxSockets: Number.POSITIVE_INFINITY },
      );
      const manager = startShootControllerManager({
        client,
        discover: () => discoverResources(client),
        rootCaPem: config.caPem,
        identity: `${seedName}_${instance}`,
        logger: logger.child({ shoot: config.name }),
      });
      return {
        get leading() {
          return manager.leading;
        },
        async stop() {
          await manager.stop();
          client.close();
        },
      };
    });
  }
}
