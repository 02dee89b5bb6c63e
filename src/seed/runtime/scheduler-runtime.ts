/**
 * The kube-schedulers of the shoots a seed hosts, in this process, each talking to its shoot's
 * API through the shoot's endpoint with its own client certificate, and leader-elected under an
 * identity of this seed process (`<seed>_<uuid>`).
 */

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { podResource } from '../../api/core/pod.js';
import { RestClient } from '../../client/rest-client.js';
import { bindingFor, type KubeScheduler, startKubeScheduler } from '../../shoot/scheduler/kube-scheduler.js';
import type { ControllerManagerConfig } from './controller-manager-runtime.js';
import { InProcessRuntime } from './in-process-runtime.js';

/** The same as a controller manager's: the shoot's API URL, its CA, and the scheduler's certificate. */
export type SchedulerConfig = ControllerManagerConfig;

export class SchedulerRuntime extends InProcessRuntime<SchedulerConfig, KubeScheduler> {
  constructor(seedName: string, logger: Logger) {
    const instance = randomUUID();
    super(async (config) => {
      const client = new RestClient({
        server: config.apiUrl,
        caPem: config.caPem,
        clientCertPem: config.certPem,
        clientKeyPem: config.keyPem,
      });
      const scheduler = startKubeScheduler({
        client,
        bind: async (pod, node) => {
          const { namespace = '', name = '' } = pod.metadata;
          await client.resource(podResource).createSubresource(namespace, name, 'binding', bindingFor(pod, node));
        },
        identity: `${seedName}_${instance}`,
        logger: logger.child({ shoot: config.name }),
      });
      return {
        get leading() {
          return scheduler.leading;
        },
        async stop() {
          await scheduler.stop();
          client.close();
        },
      };
    });
  }
}
